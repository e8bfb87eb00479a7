package api

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
)

// benchEngine serves iris-rf and ppocr-rec.
var benchEngine = sharedEngine("iris-rf", "ppocr-rec")

// BenchmarkPredictLatency is warm single-request latency, sequential:
// "engine" calls Engine.Predict on the decoded input, "http" sends
// POST /v1/predict over loopback HTTP to the front door (key check, rate
// limiter, decode, dynamic batcher with its 2ms delay, encode). p50 and p99
// are reported per case; their difference is what the endpoint adds.
//
//	go test -run '^$' -bench PredictLatency -benchtime 2000x ./api/
func BenchmarkPredictLatency(b *testing.B) {
	eng := benchEngine(b)
	line := textimg.PNG("the quick brown fox 42", textimg.Options{})
	cases := []struct{ name, model, input string }{
		{"iris", "iris-rf", `{"features": [5.1, 3.5, 1.4, 0.2]}`},
		{"ocr-line", "ppocr-rec", `{"data_base64": "` + base64.StdEncoding.EncodeToString(line) + `"}`},
	}
	url := predictServer(b, &Predictor{Engine: eng, Batcher: NewBatcher(eng, 2*time.Millisecond, DefaultPredictMaxInputs)})
	for _, c := range cases {
		b.Run(c.name+"/engine", func(b *testing.B) {
			j, err := jobs.DecodeInstance(c.model, []byte(c.input))
			if err != nil {
				b.Fatal(err)
			}
			m, _ := eng.Model(c.model)
			in, _ := engine.InputOf(j.Input, nil)
			items := []engine.Item{{Model: m, Input: in}}
			measure(b, func() {
				if p := eng.Predict(context.Background(), items); p[0].Err != nil {
					b.Fatal(p[0].Err)
				}
			})
		})
		b.Run(c.name+"/http", func(b *testing.B) {
			body := `{"model": "` + c.model + `", "input": ` + c.input + `}`
			client := &http.Client{}
			measure(b, func() {
				req, _ := http.NewRequest(http.MethodPost, url+"/v1/predict", strings.NewReader(body))
				req.Header.Set(APIKeyHeader, testKey)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(out), `"output"`) {
					b.Fatalf("%d %s", resp.StatusCode, out)
				}
			})
		})
	}
}

// measure runs fn b.N times after a short warm-up and reports the p50 and
// p99 of its durations in microseconds.
func measure(b *testing.B, fn func()) {
	for range 20 {
		fn()
	}
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		fn()
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}
