package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

// handlerBin is testdata/handler built with -tags lambda.norpc.
var handlerBin string

// emu is one fauxqs+dynalite pair shared by the package; each test makes
// its own queue.
var emu *emulators.Env

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeRIEMode); mode != "" {
		os.Exit(fakeRIE(mode)) // this binary re-run as a runtime emulator
	}
	testenv.Main(m, testenv.LambdaBinary("./local/testdata/handler", &handlerBin), emulators.Step(&emu))
}

// rieTool is the emulator binary setup installed.
func rieTool(t testing.TB) string { return testenv.Tool(t, "aws-lambda-rie") }

// startRIE runs the test handler under RIE for one test. env is added to
// the handler's environment.
func startRIE(t *testing.T, timeout time.Duration, env ...string) *RIE {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := StartRIE(ctx, RIEOptions{
		RIEPath: rieTool(t), Handler: handlerBin, Env: env, Timeout: timeout,
		Stdout: testWriter{t}, Stderr: testWriter{t},
	})
	if err != nil {
		t.Fatalf("StartRIE: %v", err)
	}
	t.Cleanup(func() { r.Stop() })
	return r
}

// startLoggingRIE starts the function logging each event it receives to
// the returned file, as its first act (HANDLER_EVENT_LOG).
func startLoggingRIE(t *testing.T) (r *RIE, log string) {
	t.Helper()
	log = filepath.Join(t.TempDir(), "events.jsonl")
	return startRIE(t, 0, "HANDLER_EVENT_LOG="+log), log
}

// testWriter sends RIE's output to the test log (shown on failure or -v).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // output after the test ended is dropped
	w.t.Logf("%s", p)
	return len(p), nil
}
