package benchmarks

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkWorkerVsNaive runs the same events through the real worker
// (worker.Handle) and the naive handlers, one after another in each
// iteration, against the same emulators and the same loaded models:
//
//	iris: 1,000 inline jobs in invocations of 100 records
//	ocr:  100 PNG text lines from S3 notifications, invocations of 10
//
// "delay" puts a proxy adding 5 ms per DynamoDB/SQS call and 20 ms per S3
// call between the handlers and the emulators; "nodelay" goes through the
// same proxy with no delay. Metrics: jobs/s of each side (worker; naive,
// which writes the item and the output object as the worker does; item,
// the naive handler writing only the DynamoDB item) and the worker's
// speedup over each. Every job of every side is checked SUCCEEDED.
//
//	go test -run '^$' -bench WorkerVsNaive -benchtime 1x -count 3 ./benchmarks/
func BenchmarkWorkerVsNaive(b *testing.B) {
	cases := []struct {
		name     string
		jobs     int
		per      int
		isOCR    bool
		delay    func(string) time.Duration
		delayTag string
	}{
		{"iris-1000x100", 1000, 100, false, inRegion, "delay"},
		{"iris-1000x100", 1000, 100, false, nil, "nodelay"},
		{"ocr-100x10", 100, 10, true, inRegion, "delay"},
		{"ocr-100x10", 100, 10, true, nil, "nodelay"},
		{"mixed-1100x100", 1100, 100, false, inRegion, "delay"},
	}
	for _, c := range cases {
		b.Run(c.name+"/"+c.delayTag, func(b *testing.B) {
			r := newRig(b, c.delay)
			sides := r.handlers()
			elapsed := make([]time.Duration, len(sides))
			calls := make([]int, len(sides))
			// One untimed invocation per side first: whichever side ran first
			// would otherwise pay the emulators' and proxy's warm-up (fresh
			// tables, connections), which showed as a 13-25% "difference"
			// between two identical workers.
			for _, h := range sides {
				for _, ev := range irisEvents(b, "warm-"+h.name, 20, 20) {
					invoke(b, h, ev)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tag := fmt.Sprintf("%s-%d", c.delayTag, i)
				evs := r.events(b, c.name, tag, c.jobs, c.per, c.isOCR)
				b.StartTimer()
				// Event by event, every side in turn, the order reversed on
				// every other event: a side's position in a round would
				// otherwise bias it (the first measured ~15% slower).
				for e, ev := range evs {
					for k := range sides {
						s := k
						if e%2 == 1 {
							s = len(sides) - 1 - k
						}
						t0, n0 := time.Now(), r.calls()
						invoke(b, sides[s], ev)
						elapsed[s] += time.Since(t0)
						calls[s] += r.calls() - n0
					}
				}
			}
			b.StopTimer()
			rate := map[string]float64{}
			for s, h := range sides {
				if got, want := r.succeeded(b, h.name), c.jobs*b.N+20; got != want {
					b.Fatalf("%s: %d SUCCEEDED items, want %d", h.name, got, want)
				}
				rate[h.name] = float64(c.jobs*b.N) / elapsed[s].Seconds()
			}
			b.ReportMetric(0, "ns/op") // the three sides' sum means nothing
			b.ReportMetric(rate["worker"], "worker-jobs/s")
			b.ReportMetric(rate["naive"], "naive-jobs/s")
			b.ReportMetric(rate["item"], "item-jobs/s")
			b.ReportMetric(rate["worker"]/rate["naive"], "x-vs-naive")
			b.ReportMetric(rate["worker"]/rate["item"], "x-vs-item")
			// The same worker with its EMF metrics off: what reporting costs.
			b.ReportMetric(100*(rate["quiet"]/rate["worker"]-1), "metrics-overhead-%")
			for s, h := range sides {
				b.ReportMetric(float64(calls[s])/float64(c.jobs*b.N), h.name+"-calls/job")
			}
		})
	}
}

// events makes one iteration's invocations: iris jobs, OCR lines, or for
// "mixed" ten iris jobs to each OCR line, interleaved as a busy queue
// delivers them.
func (r *rig) events(b *testing.B, name, tag string, n, per int, isOCR bool) [][]byte {
	switch {
	case isOCR:
		evs, _ := r.ocrEvents(b, tag, n, per)
		return evs
	case strings.HasPrefix(name, "mixed"):
		nOCR := n / 11
		var bodies []string
		ocr := r.ocrBodies(b, tag, nOCR)
		iris := irisBodies(b, tag, n-nOCR)
		for i := range iris {
			bodies = append(bodies, iris[i])
			if i%10 == 9 && len(ocr) > 0 {
				bodies, ocr = append(bodies, ocr[0]), ocr[1:]
			}
		}
		return sqsEvents(b, tag, append(bodies, ocr...), per)
	}
	return irisEvents(b, tag, n, per)
}
