package metrics

import (
	"io"
	"testing"
	"time"
)

// BenchmarkInvocation is one busy invocation's metrics from start to
// flush: 100 jobs on two models, 4 batches, 100 queue ages, three phases,
// the requests. Its time per op is the metrics' overhead per invocation,
// to compare with the invocation itself (the worker benchmark runs the
// pipeline with metrics on and off).
func BenchmarkInvocation(b *testing.B) {
	o := testOptions(ModeLambda)
	b.ReportAllocs()
	for b.Loop() {
		inv := NewInvocation(o)
		for i := range 100 {
			inv.Job([]string{"iris-rf", "ppocr-rec"}[i%2], Succeeded)
			inv.QueueAge(float64(i))
		}
		inv.Error("input_missing")
		for range 4 {
			inv.Batch("iris-rf", 25, 32, 0.1)
		}
		inv.Phase(PhaseFetch, time.Millisecond)
		inv.Phase(PhaseInfer, time.Millisecond)
		inv.Phase(PhaseStore, time.Millisecond)
		inv.Requests(Requests{SQS: 3, DynamoDBWriteUnits: 200, S3Get: 100})
		if err := inv.Flush(io.Discard, 50*time.Millisecond); err != nil {
			b.Fatal(err)
		}
	}
}
