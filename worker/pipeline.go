package worker

import (
	"context"
	"sync"

	"github.com/batchinfer/batchinfer/engine"
	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
)

// runSingles takes every pending single job (not a record file) through
// fetch, inference and the outcome write as one pipeline: inputs are
// fetched concurrently, a model's rows run as soon as a full pack of them
// has arrived (so inference overlaps the fetches still in flight), and
// each finished job's write starts at once.
func (w *Worker) runSingles(workCtx, finishCtx context.Context, tasks []*task) {
	var live, hits []*task
	for _, t := range tasks {
		switch {
		case t.inPlay() && t.file == nil && t.reused != nil:
			hits = append(hits, t) // found by the lookup: no fetch, no inference
		case t.inPlay() && t.file == nil:
			live = append(live, t)
		}
	}
	w.each(hits, func(t *task) { w.completeReused(finishCtx, t); w.logOutcome(t) })
	if len(live) == 0 {
		return
	}
	live = w.readFeatures(workCtx, live)
	ready := make(chan *task, len(live))
	go func() {
		w.each(live, func(t *task) {
			w.fetch(workCtx, t)
			ready <- t
		})
		close(ready)
	}()

	var writes sync.WaitGroup
	sem := make(chan struct{}, w.Config.awsConcurrency(len(live)))
	write := func(batch []*task) {
		for _, t := range batch {
			if t.state != succeeded {
				continue // failures are dead-lettered together afterwards
			}
			sem <- struct{}{}
			writes.Go(func() {
				defer func() { <-sem }()
				w.complete(finishCtx, t)
				w.logOutcome(t)
			})
		}
	}
	packs := map[string][]*task{}
	var fetched []*task // S3 inputs of models that reuse: looked up when all are fetched
	for t := range ready {
		if t.state != pending {
			continue
		}
		if t.reuseKey != "" && t.job.Input.S3 != nil {
			fetched = append(fetched, t)
			continue
		}
		name := t.model.Name()
		packs[name] = append(packs[name], t)
		if len(packs[name]) >= w.Engine.PackRows(t.model) {
			w.infer(workCtx, packs[name])
			write(packs[name])
			packs[name] = nil
		}
	}
	var rest []*task
	for _, p := range packs {
		rest = append(rest, p...)
	}
	w.lookupReuse(workCtx, fetched)
	for _, t := range fetched {
		if t.reused == nil {
			rest = append(rest, t)
			continue
		}
		sem <- struct{}{}
		writes.Go(func() {
			defer func() { <-sem }()
			w.completeReused(finishCtx, t)
			w.logOutcome(t)
		})
	}
	w.infer(workCtx, rest) // one call: the models' remainders run side by side
	write(rest)
	writes.Wait()
	w.saveReuse(finishCtx, live)
}

// fetch reads one task's input: an S3 object (allowlisted bucket, retried
// within a third of the time left), or the inline bytes.
func (w *Worker) fetch(ctx context.Context, t *task) {
	t0 := w.now()
	defer func() { t.time("fetch", t0); t.m.phase("fetch", t0) }()
	in := t.job.Input
	var data []byte
	if in.S3 != nil {
		if !w.bucketAllowed(in.S3.Bucket) {
			t.fail(jobs.Errorf(jobs.CodeBucketNotAllowed, "bucket %q is not in %s", in.S3.Bucket, settings.InputBuckets.Name))
			return
		}
		var err error
		if data, err = w.fetchObject(ctx, *in.S3); err != nil {
			t.fail(err)
			return
		}
		w.contentReuseKey(t, data)
	}
	input, err := engine.InputOf(in, data)
	if err == nil {
		input, err = feat.Apply(t.model, t.features, input)
	}
	if err != nil {
		t.fail(err)
		return
	}
	t.input = input
}

// infer runs the ready tasks through the engine in one call, so rows of
// one model share tensor runs.
func (w *Worker) infer(ctx context.Context, ready []*task) {
	if len(ready) == 0 {
		return
	}
	if ctx.Err() != nil {
		for _, t := range ready {
			t.retry(jobs.Errorf(jobs.CodeDeadline, "inference not started: the invocation is running out of time"))
		}
		return
	}
	items := make([]engine.Item, len(ready))
	for i, t := range ready {
		items[i] = engine.Item{Model: t.model, Input: t.input}
	}
	t0 := w.now()
	preds := w.Engine.Predict(ctx, items)
	ready[0].m.phase("infer", t0)
	ready[0].m.runs(items, preds)
	for i, t := range ready {
		p := preds[i]
		t.time("infer", t0)
		t.batch = p.BatchSize
		t.input = model.Input{} // inputs can be large; let them go before the writes
		if p.Err != nil {
			t.fail(p.Err)
			continue
		}
		t.succeed(p.Output)
	}
}
