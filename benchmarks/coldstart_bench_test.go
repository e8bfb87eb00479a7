package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/local"
)

// BenchmarkColdStart starts the real binary (built as the Lambda bootstrap
// is: -tags lambda.norpc, cgo on) under the real runtime interface
// emulator, serving ppocr-rec from a local folder, and sends one event. Each
// iteration is a fresh process pair. Metrics:
//
//	cold-ms:    RIE process start to the first invocation's answer (wall)
//	init-ms:    RIE's INIT REPORT durationMs (the function's init phase)
//	ort-ms, fetch-ms, session-ms, total-ms: the binary's "cold start" line
//
// The event is an SQS event holding S3's s3:TestEvent, which the handler
// acknowledges without calling AWS, so the answer time is start-up plus a
// round trip through RIE.
//
//	go test -run '^$' -bench ColdStart -benchtime 5x ./benchmarks/
func BenchmarkColdStart(b *testing.B) {
	bin := bootstrap(b)
	rie := testenv.Tool(b, "aws-lambda-rie")
	env := append(emu.Environ(),
		"ONNXRUNTIME_LIB="+testenv.ORTLib(b),
		"BATCHINFER_MODELS="+testenv.ModelDir(b, "ppocr-rec"),
		// Never called for a test event, but the configuration must be
		// complete for the binary to start.
		"BATCHINFER_RESULTS_TABLE=coldstart", "BATCHINFER_RESULTS_BUCKET=coldstart",
		"BATCHINFER_DLQ_URL=http://127.0.0.1:1/000000000000/coldstart-dlq", "BATCHINFER_INPUT_BUCKETS=coldstart",
	)
	payload := sqsEvents(b, "cold", []string{`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-01-01T00:00:00.000Z","Bucket":"coldstart","RequestId":"X","HostId":"Y"}`}, 1)[0]

	var cold, init, ort, fetch, session, total []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		logs := &testenv.Buffer{}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		t0 := time.Now()
		r, err := local.StartRIE(ctx, local.RIEOptions{RIEPath: rie, Handler: bin, Env: env, Stdout: logs, Stderr: logs})
		if err != nil {
			cancel()
			b.Fatal(err)
		}
		body, err := r.Invoke(ctx, payload)
		elapsed := time.Since(t0)
		cancel()
		_ = r.Stop()
		if err != nil {
			b.Fatalf("first invoke: %v\n%s", err, logs.String())
		}
		if !bytes.Contains(body, []byte(`"batchItemFailures":[]`)) {
			b.Fatalf("first invoke answered %s, want no batch item failures", body)
		}
		cs, initMS, err := parseColdStart(logs.Bytes())
		if err != nil {
			b.Fatalf("%v\n%s", err, logs.String())
		}
		cold = append(cold, ms(elapsed))
		init = append(init, initMS)
		ort, fetch, session, total = append(ort, cs.ORT), append(fetch, cs.Fetch), append(session, cs.Session), append(total, cs.Total)
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mean(cold), "cold-ms")
	b.ReportMetric(mean(init), "init-ms")
	b.ReportMetric(mean(ort), "ort-ms")
	b.ReportMetric(mean(fetch), "fetch-ms")
	b.ReportMetric(mean(session), "session-ms")
	b.ReportMetric(mean(total), "total-ms")
}

// coldStartLine is the binary's one "cold start" log line.
type coldStartLine struct {
	Msg     string  `json:"msg"`
	ORT     float64 `json:"ort_init_ms"`
	Fetch   float64 `json:"model_fetch_ms"`
	Session float64 `json:"session_create_ms"`
	Total   float64 `json:"total_ms"`
}

var initReport = regexp.MustCompile(`INIT REPORT.*?durationMs[":= ]+([0-9.]+)`)

// parseColdStart finds the binary's "cold start" JSON line and RIE's INIT
// REPORT duration in the combined output.
func parseColdStart(out []byte) (coldStartLine, float64, error) {
	var cs coldStartLine
	found, initMS := false, -1.0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '{'); i >= 0 && !found {
			var l coldStartLine
			if json.Unmarshal(line[i:], &l) == nil && l.Msg == "cold start" {
				cs, found = l, true
			}
		}
		if m := initReport.FindSubmatch(line); m != nil {
			initMS, _ = strconv.ParseFloat(string(m[1]), 64)
		}
	}
	switch {
	case !found:
		return cs, 0, errorString("no \"cold start\" line in the function's output")
	case initMS < 0:
		return cs, 0, errorString("no INIT REPORT durationMs in RIE's output")
	}
	return cs, initMS, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// bootstrap builds cmd/batchinfer once per test binary, as the Lambda
// bootstrap is built. Only the cold-start benchmark needs it, so plain
// `go test` never pays for the build.
var bootstrap = testenv.Shared("build cmd/batchinfer", func() (string, error) {
	dir, err := os.MkdirTemp("", "batchinfer-bench-")
	if err != nil {
		return "", err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "bootstrap")
	return bin, testenv.BuildLambda("./cmd/batchinfer", bin)
})

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
