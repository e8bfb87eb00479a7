package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeRIEMode, in the environment, makes the test binary a runtime
// emulator that injects one fault (TestMain): "reset-first" resets the
// first connection of its first start and answers later ones; "init-error"
// answers every invoke as a function that cannot start. Each start is
// counted in the file $FAKE_RIE_STARTS.
const fakeRIEMode = "BATCHINFER_FAKE_RIE"

func fakeRIE(mode string) int {
	addr := ""
	for i, a := range os.Args {
		if a == "--runtime-interface-emulator-address" && i+1 < len(os.Args) {
			addr = os.Args[i+1]
		}
	}
	counter := os.Getenv("FAKE_RIE_STARTS")
	before, _ := os.ReadFile(counter)
	if err := os.WriteFile(counter, append(before, '.'), 0o644); err != nil {
		return 1
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 1
	}
	if mode == "reset-first" && len(before) == 0 {
		for {
			c, err := ln.Accept()
			if err != nil {
				return 1
			}
			_ = c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		}
	}
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode == "init-error" {
			fmt.Fprint(w, `{"errorType":"Runtime.ExitError","errorMessage":"bad configuration"}`)
			return
		}
		fmt.Fprint(w, "null")
	}))
	return 0
}

// A first invoke that never reached the function starts the instance
// again on new ports; a function that cannot start is not retried.
func TestStartInstanceRestartsOnlyWhatNeverReachedTheFunction(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		wantStarts int
		wantInit   bool
	}{
		{"reset-first", 2, false},
		{"init-error", 1, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			starts := filepath.Join(t.TempDir(), "starts")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			o := SystemOptions{RIEPath: os.Args[0], Binary: "unused", FunctionTimeout: 2 * time.Second}
			rie, err := startInstance(ctx, o, []string{fakeRIEMode + "=" + tc.mode, "FAKE_RIE_STARTS=" + starts}, io.Discard)
			if rie != nil {
				defer rie.Stop()
			}
			var ie *InitError
			if got := errors.As(err, &ie); got != tc.wantInit || (!tc.wantInit && err != nil) {
				t.Fatalf("startInstance: %v, want an InitError: %v", err, tc.wantInit)
			}
			b, _ := os.ReadFile(starts)
			if n := strings.Count(string(b), "."); n != tc.wantStarts {
				t.Errorf("RIE started %d times, want %d", n, tc.wantStarts)
			}
		})
	}
}
