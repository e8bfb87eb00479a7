package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// event is a one-record SQS event whose body steers the test handler.
func event(body string) []byte {
	return fmt.Appendf(nil, `{"Records":[{"messageId":"m1","body":%q}]}`, body)
}

func invoke(t *testing.T, r *RIE, body string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Invoke(ctx, event(body))
}

func TestRIEInvokeOutcomes(t *testing.T) {
	r := startRIE(t, time.Second)
	tests := []struct {
		body     string
		wantResp string // exact response when the invocation succeeds
		wantType string // FunctionError.Type when it fails
	}{
		{body: "ok", wantResp: `{"batchItemFailures":[]}`},
		{body: "fail", wantResp: `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`},
		{body: "null", wantResp: `null`},
		{body: "error", wantType: "errorString"},
		{body: "panic", wantType: "string"}, // aws-lambda-go reports the panic value's type
		{body: "crash", wantType: "Runtime.ExitError"},
		{body: "sleep", wantType: "Timeout"},
		{body: "ok", wantResp: `{"batchItemFailures":[]}`}, // the function came back after all of that
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			resp, err := invoke(t, r, tt.body)
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				if got := strings.TrimSpace(string(resp)); got != tt.wantResp {
					t.Fatalf("response %s, want %s", got, tt.wantResp)
				}
				return
			}
			var fe *FunctionError
			if !errors.As(err, &fe) {
				t.Fatalf("Invoke error = %v (response %s), want a *FunctionError", err, resp)
			}
			if fe.Type != tt.wantType {
				t.Fatalf("FunctionError.Type = %q, want %q (%v)", fe.Type, tt.wantType, fe)
			}
		})
	}
}

// TestRIERestartsKilledHandler records what the crash end-to-end test
// relies on: after the function is SIGKILLed, the next invoke fails with
// Runtime.ExitError (RIE only then notices), and the one after that starts
// a fresh function process and succeeds.
func TestRIERestartsKilledHandler(t *testing.T) {
	r := startRIE(t, 0)
	if pids := r.HandlerPIDs(); len(pids) != 0 {
		t.Fatalf("RIE started the function before the first invoke: %v", pids)
	}
	if _, err := invoke(t, r, "ok"); err != nil {
		t.Fatal(err)
	}
	pids := r.HandlerPIDs()
	if len(pids) != 1 {
		t.Fatalf("HandlerPIDs after an invoke = %v, want one", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pids[0])

	var fe *FunctionError
	if _, err := invoke(t, r, "ok"); !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
		t.Fatalf("first invoke after SIGKILL: %v, want Runtime.ExitError", err)
	}
	if _, err := invoke(t, r, "ok"); err != nil {
		t.Fatalf("second invoke after SIGKILL: %v", err)
	}
	again := r.HandlerPIDs()
	if len(again) != 1 || again[0] == pids[0] {
		t.Fatalf("HandlerPIDs after restart = %v, want one new pid (old %d)", again, pids[0])
	}
}

func TestRIEStopKillsEverything(t *testing.T) {
	r := startRIE(t, 0)
	if _, err := invoke(t, r, "ok"); err != nil {
		t.Fatal(err)
	}
	pids := append(r.HandlerPIDs(), r.PID())
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

func TestRIEBindsLoopbackOnly(t *testing.T) {
	r := startRIE(t, 0)
	if _, err := invoke(t, r, "ok"); err != nil { // the runtime API is up once the function ran
		t.Fatal(err)
	}
	for _, addr := range []string{r.Addr(), r.RuntimeAPIAddr()} {
		port := addr[strings.LastIndexByte(addr, ':')+1:]
		got := listeners(t, port)
		if len(got) == 0 {
			t.Fatalf("nothing listens on port %s", port)
		}
		for _, a := range got {
			if a != "0100007F" { // 127.0.0.1 in /proc/net/tcp's byte order
				t.Fatalf("port %s is bound to %s, want 127.0.0.1 only", port, a)
			}
		}
	}
	if _, err := StartRIE(context.Background(), RIEOptions{RIEPath: rieTool(t), Handler: handlerBin, Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("StartRIE accepted 0.0.0.0")
	}
}

// listeners returns the local addresses (hex) of sockets listening on the
// decimal port, from /proc/net/tcp and tcp6.
func listeners(t *testing.T, port string) []string {
	t.Helper()
	var p int
	fmt.Sscan(port, &p)
	hexPort := fmt.Sprintf("%04X", p)
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A = LISTEN
				continue
			}
			ip, pt, ok := strings.Cut(fields[1], ":")
			if ok && pt == hexPort {
				out = append(out, ip)
			}
		}
		fh.Close()
	}
	return out
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if !processAlive(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d still alive", pid)
}
