package worker

import (
	"context"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// markSuspects flags the jobs whose earlier attempt ended without an
// outcome (docs/idempotency.md, "Crash isolation"): under the optimistic
// protocol, a message received before (ApproximateReceiveCount > 1) whose
// job has no item; under claims, an IN_PROGRESS item whose lease ran out
// (and that no reprocess reset). found is the invocation's BatchGetItem.
func (w *Worker) markSuspects(tasks []*task, found map[string]*store.Record, nowMs int64) {
	if w.Isolator == nil {
		return
	}
	for _, t := range tasks {
		if !t.inPlay() || t.file != nil {
			continue
		}
		ex := found[t.job.ID]
		switch {
		case ex == nil:
			t.suspect = t.msg.ReceiveCount > 1
		case !ex.Status.Final():
			t.suspect = ex.ResetAt == 0 && ex.LeaseExpiresAt > 0 && ex.LeaseExpiresAt < nowMs
		}
	}
}

// runSuspects runs the suspects' inputs in child processes (engine.Isolator) and
// stores their outcomes; the rest of the batch then runs as usual.
func (w *Worker) runSuspects(workCtx, finishCtx context.Context, tasks []*task) {
	var sus []*task
	for _, t := range tasks {
		if t.suspect && t.inPlay() && t.file == nil {
			sus = append(sus, t)
		}
	}
	if len(sus) == 0 {
		return
	}
	w.each(sus, func(t *task) { w.fetch(workCtx, t) })
	var ready []*task
	var items []engine.Item
	for _, t := range sus {
		if t.state == pending {
			ready, items = append(ready, t), append(items, engine.Item{Model: t.model, Input: t.input})
		}
	}
	w.logger().Warn("running suspected crashers in a child process", "jobs", len(ready))
	t0 := w.now()
	preds := w.Isolator.Predict(workCtx, items)
	var done []*task
	for i, t := range ready {
		t.time("infer", t0)
		t.batch, t.input = preds[i].BatchSize, model.Input{}
		if err := preds[i].Err; err != nil {
			t.fail(err)
			continue
		}
		t.succeed(preds[i].Output)
		done = append(done, t)
	}
	w.each(done, func(t *task) {
		w.complete(finishCtx, t)
		w.logOutcome(t)
	})
}
