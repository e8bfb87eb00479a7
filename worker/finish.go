package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// complete stores a succeeded task: the output on the item when it fits,
// else the output object first, then the item.
func (w *Worker) complete(ctx context.Context, t *task) {
	t.status = store.StatusSucceeded
	body, err := json.Marshal(t.output)
	if err != nil {
		t.fail(jobs.Wrap(jobs.CodeInferenceFailed, err, "encode the output as JSON"))
		return
	}
	t.stored = t.output
	if len(body) > store.MaxInlineOutputBytes {
		full, err := json.Marshal(map[string]any{ // the output as encoded above
			"job_id": t.job.ID, "model": t.job.Model, "model_version": t.modelVersion(),
			"input": t.job.Input.String(), "output": json.RawMessage(body), "metadata": t.job.Metadata,
		})
		if err != nil {
			t.fail(jobs.Wrap(jobs.CodeInferenceFailed, err, "encode the output as JSON"))
			return
		}
		t0 := w.now()
		err = store.Retry(ctx, func(ctx context.Context) error {
			uri, err := w.Outputs.Put(ctx, t.job.ID, full)
			t.outputURI = uri
			return err
		})
		t.time("store", t0)
		if err != nil {
			t.retry(err)
			return
		}
		t.stored = summarize(t.output, maxSummaryBytes)
	}
	w.write(ctx, t)
}

// finishFailures dead-letters every failed task in SendMessageBatch calls,
// then writes their FAILED items (the DLQ first, so a crash in between
// re-sends rather than loses the dead letter); and on the last allowed
// receive marks transient failures retries_exhausted before the queue's
// redrive moves them.
func (w *Worker) finishFailures(ctx context.Context, tasks []*task) {
	var dead []*task
	for _, t := range tasks {
		if t.dupOf == nil && t.state == failed {
			dead = append(dead, t)
		}
	}
	dls := make([]store.DeadLetter, len(dead))
	for i, t := range dead {
		dls[i] = store.DeadLetter{Body: t.msg.Body, Code: string(jobs.CodeOf(t.err)), Message: jobs.MessageOf(t.err),
			JobID: t.job.ID, SourceMessageID: t.msg.MessageID}
	}
	errs := w.sendDeadLetters(ctx, dls)
	var writes []*task
	for i, t := range dead {
		if errs[i] != nil {
			t.retry(errs[i])
			continue
		}
		if t.token == "" {
			continue // a conflict: the item belongs to the other payload
		}
		t.status, t.errInfo = store.StatusFailed, &store.ErrorInfo{Code: jobs.CodeOf(t.err), Message: jobs.MessageOf(t.err)}
		writes = append(writes, t)
	}
	for _, t := range tasks {
		if t.dupOf == nil && t.state == retryLater && t.msg.ReceiveCount >= w.Config.MaxReceives && t.token != "" && t.file == nil {
			// Redrive moves the message to the DLQ after this receive; the
			// item must say why before that happens.
			t.status, t.errInfo = store.StatusFailed, &store.ErrorInfo{Code: jobs.CodeRetriesExhausted,
				Message: fmt.Sprintf("gave up after %d receives: %v", t.msg.ReceiveCount, t.err)}
			writes = append(writes, t)
		}
	}
	w.each(writes, func(t *task) { w.write(ctx, t) })
	for _, t := range tasks {
		if t.dupOf == nil && t.state != succeeded {
			w.logOutcome(t)
		}
	}
}

// sendDeadLetters sends dls, retrying the entries that failed transiently.
func (w *Worker) sendDeadLetters(ctx context.Context, dls []store.DeadLetter) []error {
	errs := make([]error, len(dls))
	todo := make([]int, len(dls))
	for i := range todo {
		todo[i] = i
	}
	_ = store.Retry(ctx, func(ctx context.Context) error {
		batch := make([]store.DeadLetter, len(todo))
		for j, i := range todo {
			batch[j] = dls[i]
		}
		var again []int
		for j, err := range w.DeadLetters.SendBatch(ctx, batch) {
			errs[todo[j]] = err
			if err != nil {
				again = append(again, todo[j])
			}
		}
		todo = again
		if len(todo) > 0 {
			return errs[todo[0]]
		}
		return nil
	})
	return errs
}

// write stores t's item with its outcome: with Complete under a held claim, else
// with one conditional Put (docs/idempotency.md), falling back to a claim
// when it finds a crashed or reset attempt's item.
func (w *Worker) write(ctx context.Context, t *task) {
	now := w.now()
	t.timing["total"] = now.Sub(t.start).Milliseconds()
	if !t.msg.SentAt.IsZero() {
		t.timing["queue"] = t.start.Sub(t.msg.SentAt).Milliseconds()
	}
	t.finishedAt = now // also names the completion event
	t0 := w.now()
	defer func() { t.time("store", t0); t.m.phase("store", t0) }()
	if !t.claimed {
		var res store.PutResult
		err := store.Retry(ctx, func(ctx context.Context) error {
			var err error
			res, err = w.Results.Put(ctx, w.item(t), t.since())
			return err
		})
		if err != nil {
			t.retry(err)
			return
		}
		if res.Outcome != store.PutExpired {
			w.settlePut(ctx, t, res)
			return
		}
		if w.claimOne(ctx, t, w.leaseLeft(ctx)); !t.claimed {
			return
		}
	}
	w.completeClaimed(ctx, t)
}

// putTaken names, in a claim's terms, the items a Put found taken.
var putTaken = map[store.PutOutcome]store.ClaimOutcome{
	store.PutDone: store.Done, store.PutBusy: store.Busy, store.PutConflict: store.Conflict,
}

// settlePut applies what an optimistic Put found.
func (w *Worker) settlePut(ctx context.Context, t *task, res store.PutResult) {
	switch res.Outcome {
	case store.Written:
		w.settleWritten(ctx, t)
	case store.PutStale:
		t.ack("the job was reset for reprocessing after this delivery began; the new delivery runs it")
	default:
		w.settleTaken(ctx, t, putTaken[res.Outcome], res.Existing)
	}
}

func (w *Worker) completeClaimed(ctx context.Context, t *task) {
	err := store.Retry(ctx, func(ctx context.Context) error { return w.Results.Complete(ctx, w.item(t)) })
	switch {
	case errors.Is(err, store.ErrClaimLost):
		// Our lease ran out and another delivery took the job over: its
		// outcome stands; this message is a duplicate.
		w.logger().Warn("claim lost before completion; the newer attempt's outcome stands", "job_id", t.job.ID, "message_id", t.msg.MessageID)
		t.ack("")
	case err != nil:
		t.retry(err)
	default:
		w.settleWritten(ctx, t)
	}
}

// settleWritten records that t's outcome is stored and publishes its
// completion event; a publish that fails is owed by the next delivery, so
// the message is retried (the job stays finished).
func (w *Worker) settleWritten(ctx context.Context, t *task) {
	item := w.item(t)
	if err := w.notifyFinished(ctx, completionAt(&item, t.finishedAt)); err != nil {
		t.retry(err)
	}
}

// duplicate acknowledges a delivery of a finished job, first publishing
// the completion event an earlier delivery still owes, if any.
func (w *Worker) duplicate(ctx context.Context, t *task, existing *store.Record) {
	t.ack("duplicate of a finished job (" + string(existing.Status) + ")")
	if err := w.notifyPending(ctx, existing); err != nil {
		t.retry(err)
	}
}

// leaseLeft is the lease a claim taken now gets: the time left in ctx.
func (w *Worker) leaseLeft(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return 15 * time.Minute
}
