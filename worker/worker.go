package worker

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/store"
)

// Worker turns decoded invocations into results: claim, fetch, infer,
// store, report. One Worker serves every invocation of a process.
type Worker struct {
	Engine      Predictor
	Results     Results
	Inputs      Inputs
	Outputs     Outputs
	DeadLetters DeadLetters
	// Continuations is the jobs queue, where a record file that an
	// invocation could not finish is sent on at once (a fresh receive
	// count, no visibility timeout to wait out); nil without
	// BATCHINFER_QUEUE_URL (the file then resumes on redelivery).
	Continuations store.Sender
	// Reprocessor handles reprocess requests; nil when BATCHINFER_QUEUE_URL
	// is unset (such a request then fails permanently).
	Reprocessor *reprocess.Reprocessor
	Config      Config
	// MetricsOut receives the EMF documents (os.Stdout when nil: Lambda
	// ships stdout to CloudWatch Logs, which extracts the metrics).
	MetricsOut io.Writer
	coldStart  coldStartOnce // the init breakdown, reported by the first invocation
	Log        *slog.Logger
	Now        func() time.Time // for tests; time.Now when nil

	// Notify publishes completion events (notify.go); nil publishes none.
	Notify *Notifications
	// Redeliveries delays retried messages by their backoff (retry.go);
	// nil leaves them to the queue's visibility timeout.
	Redeliveries Redeliveries
	// Isolator runs suspected crashers in a child process (suspects.go,
	// engine/isolate.go); nil runs them with their neighbours.
	Isolator *engine.Isolator
	// Features reads the entities' stored features of models with a
	// feature source (features.go); nil fails such jobs not_configured.
	Features *feat.Joiner
	// HTTP answers API Gateway proxy events (apigw.go); nil refuses them.
	HTTP http.Handler
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// deadline is when the invocation must have answered: the context's, or
// for callers without one (predict-like local use) fifteen minutes, Lambda's
// own maximum.
func (w *Worker) deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(15 * time.Minute) // deadlines run on the real clock, as contexts do
}

func (w *Worker) bucketAllowed(bucket string) bool {
	for _, b := range w.Config.InputBuckets {
		if b == bucket || b == "*" {
			return true
		}
	}
	return false
}
