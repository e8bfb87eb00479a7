package e2e

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// crashMarker is engine.CrashMarker (engine/crash_on.go), which only a crashtest
// build has: a feature value that makes such a build SIGKILL itself.
const crashMarker = "-13131313"

// crashBinary builds the function with -tags crashtest once, on demand.
var crashBinary = testenv.Shared("build the crashtest binary", func() (string, error) {
	bin := filepath.Join(filepath.Dir(binary), "batchinfer-crashtest")
	return bin, testenv.BuildLambda("./cmd/batchinfer", bin, "crashtest")
})

// TestReleaseBuildHasNoCrashTrigger: the trigger is compiled only into
// crashtest builds. The same check on the crashtest build shows it can
// fail.
func TestReleaseBuildHasNoCrashTrigger(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		want       bool
	}{{"release", binary, false}, {"crashtest", crashBinary(t), true}} {
		data, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.Symbols()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		hasSym := false
		for _, s := range syms {
			hasSym = hasSym || strings.HasSuffix(s.Name, "engine.crashOnMarker")
		}
		// The marker may be compiled into instructions (a short constant):
		// only its absence from the release build is checked.
		hasMarker := bytes.Contains(data, []byte(crashMarker))
		if hasSym != tc.want || (!tc.want && hasMarker) {
			t.Errorf("%s build: trigger symbol %v, marker %v; want %v", tc.name, hasSym, hasMarker, tc.want)
		}
	}
}

// TestCrashIsolation: one input of a batch of ten kills the function
// process. The batch comes back (receive count 2, no items: suspects), is
// run in child processes bisected down to the crasher, and the nine
// neighbours succeed on that delivery; only the crasher fails, with
// inference_crashed, and only it is in the DLQ.
func TestCrashIsolation(t *testing.T) {
	timeout := isolationTimeout(t)
	s := newSystem(t, sysOptions{Binary: crashBinary(t), Models: []string{"iris-rf"},
		Timeout: timeout, Visibility: timeout + 2*time.Second, BatchSize: 10, Window: 2 * time.Second})
	ids, bodies := irisJobs("iso", 10)
	bodies[6] = irisJob(ids[6], []float64{-13131313, 1, 1, 1})
	s.send(bodies...)
	recs := s.waitFinal(ids, 40*time.Second+3*timeout)
	for i, id := range ids {
		r := recs[id]
		switch {
		case i == 6 && (r.Status != store.StatusFailed || r.Error == nil || r.Error.Code != jobs.CodeInferenceCrashed):
			t.Errorf("the crasher %s: %+v, want FAILED inference_crashed", id, r)
		case i != 6 && r.Status != store.StatusSucceeded:
			t.Errorf("neighbour %s: %s %+v, want SUCCEEDED", id, r.Status, r.Error)
		}
	}
	for _, l := range s.jobLines() {
		if l.Status == "SUCCEEDED" && l.Receives != 2 {
			t.Errorf("%s succeeded on receive %d, want 2 (the delivery after the crash)", l.JobID, l.Receives)
		}
	}
	s.waitQueueDrained(15 * time.Second)
	dl := s.deadLetters()
	if len(dl) != 1 || len(dl[ids[6]]) != 1 || attr(dl[ids[6]][0], "error_code") != string(jobs.CodeInferenceCrashed) {
		t.Errorf("DLQ holds %v, want only %s with inference_crashed", keys(dl), ids[6])
	}
}

// isolationTimeout is a function timeout the delivery after the crash can
// bisect its batch of ten in: some seven child processes, each starting
// the binary and loading the model, one after another. It is measured
// here, as a `predict` run of the same binary and model, times 12 (at
// least the 8 s the test was written for on an idle machine): on a loaded
// one a child takes over a second, and a timeout cut mid-bisection sends
// the neighbours not yet run to a third delivery.
func isolationTimeout(t *testing.T) time.Duration {
	t.Helper()
	bin, env, model := crashBinary(t), []string{"ONNXRUNTIME_LIB=" + testenv.ORTLib(t)}, testenv.ModelDir(t, "iris-rf")
	var d time.Duration // the slowest of three: the load comes and goes
	for range 3 {
		t0 := time.Now()
		if _, stderr, err := runBinaryAt(t, bin, env, `{"features":[5.1,3.5,1.4,0.2]}`+"\n", "predict", "--model", model, "-"); err != nil {
			t.Fatalf("predict (to time a child process): %v\n%s", err, stderr)
		}
		d = max(d, time.Since(t0))
	}
	t.Logf("one child process: %s", d.Round(time.Millisecond))
	return max(8*time.Second, 12*d)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
