package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// Reuse of results already computed (README, "reuse"): a job of a model
// that opts in, whose input that model version already inferred, is
// answered from the stored output. Entries are keyed by content
// (store.ReuseKey): an inline input's canonical JSON is hashed before the
// lookup and rides it; an S3 object's content is hashed as fetched and
// looked up once more, for the invocation's S3 inputs together.

// reuses says whether t's job may be answered from, and leave, a reuse
// entry: its model opts in and no entity's features join its input (the
// stored features may change under the same input).
func (w *Worker) reuses(t *task) bool {
	if t.model == nil || t.job.Entity != nil || t.file != nil || t.msg.Reprocess != nil {
		return false
	}
	return t.model.Reuse() || slices.Contains(w.Config.ReuseModels, t.model.Name())
}

// inlineReuseKey sets t's reuse key when its input is inline, so the
// invocation's lookup reads the entry with the job items.
func (w *Worker) inlineReuseKey(t *task) {
	if t.state != pending || t.job.Input.S3 != nil || !w.reuses(t) {
		return
	}
	h, err := jobs.InputHash(t.job.Input)
	if err != nil {
		w.logger().Warn("reuse: input not hashed; the job runs", "job_id", t.job.ID, "err", err)
		return
	}
	t.reuseKey = store.ReuseKey(t.model.Name(), t.model.Version(), h)
}

// contentReuseKey sets t's reuse key from an S3 input's fetched bytes.
func (w *Worker) contentReuseKey(t *task, data []byte) {
	if !w.reuses(t) {
		return
	}
	sum := sha256.Sum256(data)
	t.reuseKey = store.ReuseKey(t.model.Name(), t.model.Version(), hex.EncodeToString(sum[:]))
}

// takeReuse marks t answered by entry e when one was found.
func takeReuse(t *task, found map[string]*store.Record) {
	if e := found[t.reuseKey]; e != nil && t.reuseKey != "" && t.state == pending && e.Status == store.StatusSucceeded {
		t.reused = e
		t.suspect = false // nothing runs: no crash to isolate
	}
}

// lookupReuse reads the reuse entries of fetched S3 inputs in one
// BatchGetItem per 100; a failed read only costs the inference it would
// have saved.
func (w *Worker) lookupReuse(ctx context.Context, tasks []*task) {
	keys := make([]string, 0, len(tasks))
	for _, t := range tasks {
		keys = append(keys, t.reuseKey)
	}
	if len(keys) == 0 {
		return
	}
	found, err := w.Results.Lookup(ctx, keys)
	if err != nil {
		w.logger().Warn("reuse: lookup failed; the jobs run", "err", err, "jobs", len(keys))
		return
	}
	for _, t := range tasks {
		takeReuse(t, found)
	}
}

// completeReused writes t's item with the reused output (its S3 object,
// when the output was too large for the item, is the producing job's) and
// no inference.
func (w *Worker) completeReused(ctx context.Context, t *task) {
	e := t.reused
	t.input = model.Input{}
	t.succeed(e.Output)
	t.status, t.stored, t.outputURI = store.StatusSucceeded, e.Output, e.OutputURI // ReusedFrom: item.go
	w.write(ctx, t)
}

// saveReuse writes a reuse entry for each task that ran its model and
// succeeded, in BatchWriteItem calls of 25; a failed write is logged (the
// next job with that input runs the model).
func (w *Worker) saveReuse(ctx context.Context, tasks []*task) {
	var entries []store.Record
	for _, t := range tasks {
		if t.reuseKey == "" || t.reused != nil || t.state != succeeded {
			continue
		}
		item := w.item(t)
		entries = append(entries, store.Record{
			JobID: t.reuseKey, Status: store.StatusSucceeded, Model: item.Model, ModelVersion: item.ModelVersion,
			Output: item.Output, OutputURI: item.OutputURI, ReusedFrom: t.job.ID, ExpiresAt: item.ExpiresAt,
		})
	}
	if len(entries) == 0 {
		return
	}
	err := store.Retry(ctx, func(ctx context.Context) error { return w.Results.PutReuse(ctx, entries) })
	if err != nil {
		w.logger().Warn("reuse: entries not written", "err", err, "entries", len(entries))
	}
}
