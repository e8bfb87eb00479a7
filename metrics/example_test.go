package metrics_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
)

// One Lambda invocation, as the worker records it, read back as the
// end-to-end tests and `batchinfer stats` read it.
func ExampleInvocation() {
	opts, _ := metrics.LoadOptions(func(k string) string {
		return map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "infer", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}[k]
	})
	start := time.Now()
	inv := metrics.NewInvocation(opts)
	inv.ColdStart(120*time.Millisecond, 0, 300*time.Millisecond) // the environment's first invocation only
	inv.QueueAge(850)                                            // per message: now - SentTimestamp
	inv.Job("iris-rf", metrics.Succeeded)
	inv.Job("iris-rf", metrics.Succeeded)
	inv.Job("iris-rf", metrics.Failed)
	inv.Error("wrong_feature_count") // with each FAILED job: its DLQ code
	inv.Batch("iris-rf", 2, 256, 0)  // per tensor run
	inv.Phase(metrics.PhaseInfer, 3*time.Millisecond)
	inv.Requests(metrics.Requests{SQS: 1, DynamoDBWriteUnits: 6, DynamoDBReadUnits: 1.5})

	var log bytes.Buffer // os.Stdout in the worker
	if err := inv.Flush(&log, time.Since(start)); err != nil {
		panic(err)
	}
	docs, err := metrics.Parse(&log)
	if err != nil {
		panic(err)
	}
	s := metrics.Summarize(docs, metrics.DefaultNamespace)
	fmt.Println(len(docs), "documents")
	fmt.Println("succeeded", s.Totals["JobsSucceeded"], "failed", s.Totals["JobsFailed"], "by code", s.Errors)
	fmt.Println("cold starts", s.Totals["ColdStart"], "inferences", s.Inferences())
	// Output:
	// 3 documents
	// succeeded 2 failed 1 by code map[wrong_feature_count:1]
	// cold starts 1 inferences 2
}
