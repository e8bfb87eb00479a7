package worker

import (
	"context"
	"log/slog"
	"time"
)

// Worker turns decoded invocations into results: claim, fetch, infer,
// store, report. One Worker serves every invocation of a process.
type Worker struct {
	Engine      *Engine
	Results     Results
	Inputs      Inputs
	Outputs     Outputs
	DeadLetters DeadLetters
	// Reprocessor handles reprocess requests; nil when BATCHINFER_QUEUE_URL
	// is unset (such a request then fails permanently).
	Reprocessor *Reprocessor
	Config      Config
	Log         *slog.Logger
	Now         func() time.Time // for tests; time.Now when nil

	// Notify publishes completion events (notify.go); nil publishes none.
	Notify *Notifications
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
	return w.now().Add(15 * time.Minute)
}

func (w *Worker) bucketAllowed(bucket string) bool {
	for _, b := range w.Config.InputBuckets {
		if b == bucket || b == "*" {
			return true
		}
	}
	return false
}
