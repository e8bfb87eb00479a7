package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// Outcome is what one invocation did, message by message.
type Outcome struct {
	Retry     []string // message IDs SQS must redeliver (batchItemFailures)
	Succeeded int      // jobs that reached SUCCEEDED in this invocation
	Failed    int      // jobs that reached FAILED in this invocation
	Skipped   int      // duplicates of finished jobs, ignored events
	Retried   int      // jobs left for a later delivery
}

// task is one job's way through an invocation.
type task struct {
	msg   *jobs.Message
	job   jobs.Job
	model *model.Model
	rec   store.Record // the claimed item, ClaimToken set once claimed
	data  []byte
	dupOf *task // a second delivery of the same job in this invocation

	// outcome
	state  taskState
	err    error
	output map[string]any
	batch  int
	note   string // why an acknowledged task did nothing
	timing map[string]int64
	start  time.Time
}

type taskState int

const (
	pending    taskState = iota
	acked                // nothing more to do: the message may be deleted
	retryLater           // report as a batch item failure
	succeeded
	failed
)

// Process runs one invocation. It never returns an error: every job ends as
// an item, a DLQ entry or a retry, and the Outcome says which.
func (w *Worker) Process(ctx context.Context, inv *jobs.Invocation) Outcome {
	deadline := w.deadline(ctx)
	// Work stops at the margin so the response (and the deletes Lambda does
	// for us) still happen inside the invocation.
	workCtx, cancel := context.WithDeadline(ctx, deadline.Add(-w.Config.DeadlineMargin))
	defer cancel()
	// Outcomes of work already done may still be written in the first
	// three quarters of the margin: losing finished work costs a rerun.
	finishCtx, cancelFinish := context.WithDeadline(ctx, deadline.Add(-w.Config.DeadlineMargin/4))
	defer cancelFinish()

	tasks := w.plan(workCtx, inv)
	live := w.claim(workCtx, tasks, deadline)
	live = w.fetch(workCtx, live)
	w.infer(workCtx, live)
	w.finish(finishCtx, tasks)
	return w.report(inv, tasks)
}

// plan makes one task per job and folds repeated deliveries of one job_id
// inside the invocation onto the first, so inference runs once. A reprocess
// request is run here (reprocess.go) and joins as a finished task.
func (w *Worker) plan(ctx context.Context, inv *jobs.Invocation) []*task {
	var tasks []*task
	first := map[string]*task{}
	for i := range inv.Messages {
		m := &inv.Messages[i]
		switch {
		case m.Ignored:
			continue
		case m.Reprocess != nil:
			tasks = append(tasks, w.reprocessTask(ctx, m))
			continue
		case m.Err != nil:
			// No job to name: the message id stands in, so the failure still
			// has an item users can find.
			sum := sha256.Sum256([]byte(m.Body))
			t := &task{msg: m, job: jobs.Job{ID: m.ErrJobID, PayloadHash: hex.EncodeToString(sum[:])}, start: w.now()}
			t.err = m.Err
			tasks = append(tasks, t)
			continue
		}
		for _, j := range m.Jobs {
			t := &task{msg: m, job: j, start: w.now()}
			if f, ok := first[j.ID]; ok {
				if f.job.PayloadHash == j.PayloadHash {
					t.dupOf = f
				} else {
					t.err = jobs.Errorf(jobs.CodeIdempotencyConflict,
						"job_id %q appears twice in this batch with different payloads", j.ID)
					t.state = failed
				}
			} else {
				first[j.ID] = t
			}
			tasks = append(tasks, t)
		}
	}
	return tasks
}

// claim takes the idempotency claim of every primary task.
func (w *Worker) claim(ctx context.Context, tasks []*task, deadline time.Time) []*task {
	var live []*task
	var mu sync.Mutex
	w.each(tasks, func(t *task) {
		if t.dupOf != nil || t.state != pending {
			return
		}
		if ctx.Err() != nil {
			t.retry(jobs.Errorf(jobs.CodeDeadline, "not started: less than %s of the invocation was left", w.Config.DeadlineMargin))
			return
		}
		rec := store.Record{
			JobID:       t.job.ID,
			Status:      string(store.StatusInProgress),
			Model:       t.job.Model,
			Input:       t.job.Input.String(),
			Metadata:    t.job.Metadata,
			MessageID:   t.msg.MessageID,
			PayloadHash: t.job.PayloadHash,
		}
		if m, err := w.Engine.Model(t.job.Model); err == nil && t.err == nil {
			rec.Model, rec.ModelVersion, t.model = m.Name(), m.Version(), m
		}
		// One token for every try of this claim, so a retry after a lost
		// answer recognises its own claim.
		tok, err := store.NewClaimToken()
		if err != nil {
			t.retry(jobs.Wrap(jobs.CodeInternal, err, "make a claim token"))
			return
		}
		rec.ClaimToken = tok
		lease := time.Until(deadline)
		var res store.ClaimResult
		err = retry(ctx, func(ctx context.Context) error {
			var err error
			res, err = w.Results.Claim(ctx, rec, lease)
			return err
		})
		if err != nil {
			t.retry(err)
			return
		}
		switch res.Outcome {
		case store.Done:
			t.state = acked
			t.note = "duplicate of a finished job (" + res.Existing.Status + ")"
			return
		case store.Busy:
			t.retry(jobs.Errorf(jobs.CodeInProgress, "another invocation is working on job %q", t.job.ID))
			return
		case store.Conflict:
			t.state = failed
			t.err = jobs.Errorf(jobs.CodeIdempotencyConflict, "job_id %q was already used for a different payload", t.job.ID)
			return
		}
		rec.ClaimToken = res.Token
		if res.Existing != nil {
			rec.Attempts = res.Existing.Attempts
			rec.CreatedAt = res.Existing.CreatedAt
		}
		t.rec = rec
		if t.err != nil { // undecodable message: claimed only to record the failure
			t.state = failed
			return
		}
		if t.model == nil {
			_, err := w.Engine.Model(t.job.Model)
			t.fail(err)
			return
		}
		mu.Lock()
		live = append(live, t)
		mu.Unlock()
	})
	return live
}

// fetch reads every task's input, S3 objects concurrently.
func (w *Worker) fetch(ctx context.Context, live []*task) []*task {
	w.each(live, func(t *task) {
		t0 := w.now()
		defer func() { t.time("fetch", t0) }()
		in := t.job.Input
		switch {
		case in.S3 != nil:
			if !w.bucketAllowed(in.S3.Bucket) {
				t.fail(jobs.Errorf(jobs.CodeBucketNotAllowed, "bucket %q is not in BATCHINFER_INPUT_BUCKETS", in.S3.Bucket))
				return
			}
			// One object that keeps failing must not hold the whole batch
			// back from inference: its retries get a third of the time left.
			fctx, cancel := context.WithTimeout(ctx, fetchBudget(ctx))
			defer cancel()
			err := retry(fctx, func(ctx context.Context) error {
				var err error
				t.data, err = w.Inputs.Fetch(ctx, *in.S3)
				return err
			})
			if err != nil {
				t.fail(err)
			}
		case in.Features != nil:
			t.data = in.Features
		default:
			t.data = in.Data
		}
		if t.state == pending && int64(len(t.data)) > w.Config.MaxInputBytes {
			t.fail(jobs.Errorf(jobs.CodeInputTooLarge, "input is %d bytes, over BATCHINFER_MAX_INPUT_BYTES=%d", len(t.data), w.Config.MaxInputBytes))
		}
	})
	var ready []*task
	for _, t := range live {
		if t.state == pending {
			ready = append(ready, t)
		}
	}
	return ready
}

// infer runs every ready task through the engine in one call, so rows of
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
	items := make([]Item, len(ready))
	for i, t := range ready {
		items[i] = Item{Model: t.model, Data: t.data}
	}
	t0 := w.now()
	preds := w.Engine.Predict(ctx, items)
	for i, t := range ready {
		p := preds[i]
		t.time("infer", t0)
		t.batch = p.BatchSize
		if p.Err != nil {
			t.fail(p.Err)
			continue
		}
		t.output = p.Output
		t.state = succeeded
	}
	for _, t := range ready {
		t.data = nil // inputs can be large; let them go before the writes
	}
}

// finish writes outcomes: the output object then the SUCCEEDED item; the
// DLQ message then the FAILED item (so a crash in between re-sends rather
// than loses the dead letter).
func (w *Worker) finish(ctx context.Context, tasks []*task) {
	w.each(tasks, func(t *task) {
		if t.dupOf != nil {
			return
		}
		switch t.state {
		case succeeded:
			w.complete(ctx, t)
		case failed:
			w.deadLetter(ctx, t, t.err)
		case retryLater:
			if t.rec.ClaimToken != "" && t.msg.ReceiveCount >= w.Config.MaxReceives {
				// Redrive moves the message to the DLQ after this receive;
				// the item must say why before that happens.
				t.rec.Status = string(store.StatusFailed)
				t.rec.Error = &store.ErrorInfo{Code: string(jobs.CodeRetriesExhausted),
					Message: fmt.Sprintf("gave up after %d receives: %v", t.msg.ReceiveCount, t.err)}
				w.write(ctx, t)
			}
		}
		w.logOutcome(t)
	})
	for _, t := range tasks {
		if t.dupOf != nil {
			t.state = t.dupOf.state
			if t.state == succeeded || t.state == failed {
				t.state = acked // the first delivery recorded the outcome
			}
			w.logOutcome(t)
		}
	}
}

func (w *Worker) complete(ctx context.Context, t *task) {
	full, err := json.Marshal(map[string]any{
		"job_id": t.job.ID, "model": t.rec.Model, "model_version": t.rec.ModelVersion,
		"input": t.rec.Input, "output": t.output, "metadata": t.job.Metadata,
	})
	if err != nil {
		t.fail(jobs.Wrap(jobs.CodeInferenceFailed, err, "encode the output as JSON"))
		w.deadLetter(ctx, t, t.err)
		return
	}
	t0 := w.now()
	err = retry(ctx, func(ctx context.Context) error {
		uri, err := w.Outputs.Put(ctx, t.job.ID, full)
		t.rec.OutputURI = uri
		return err
	})
	t.time("store", t0)
	if err != nil {
		t.retry(err)
		return
	}
	t.rec.Status = string(store.StatusSucceeded)
	t.rec.Output = summarize(t.output, maxSummaryBytes)
	w.write(ctx, t)
}

func (w *Worker) deadLetter(ctx context.Context, t *task, cause error) {
	code, msg := jobs.CodeOf(cause), cause.Error()
	err := retry(ctx, func(ctx context.Context) error {
		return w.DeadLetters.Send(ctx, store.DeadLetter{
			Body: t.msg.Body, Code: string(code), Message: msg,
			JobID: t.job.ID, SourceMessageID: t.msg.MessageID,
		})
	})
	if err != nil {
		t.retry(err)
		return
	}
	t.state = failed
	if t.rec.ClaimToken == "" {
		return // a conflict: the item belongs to the other payload
	}
	t.rec.Status = string(store.StatusFailed)
	t.rec.Error = &store.ErrorInfo{Code: string(code), Message: msg}
	w.write(ctx, t)
}

// write completes the claimed item with t.rec's outcome.
func (w *Worker) write(ctx context.Context, t *task) {
	now := w.now()
	t.timing["total"] = now.Sub(t.start).Milliseconds()
	if !t.msg.SentAt.IsZero() {
		t.timing["queue"] = t.start.Sub(t.msg.SentAt).Milliseconds()
	}
	t.rec.Timings = t.timing
	t.rec.ExpiresAt = now.Add(w.Config.ResultTTL).Unix()
	status := t.rec.Status
	err := retry(ctx, func(ctx context.Context) error { return w.Results.Complete(ctx, t.rec) })
	switch {
	case errors.Is(err, store.ErrClaimLost):
		// Our lease ran out and another delivery took the job over: its
		// outcome stands; this message is a duplicate.
		w.logger().Warn("claim lost before completion; the newer attempt's outcome stands", "job_id", t.job.ID, "message_id", t.msg.MessageID)
		t.state = acked
	case err != nil:
		t.retry(err)
	case status == string(store.StatusSucceeded):
		t.state = succeeded
	case t.state != retryLater:
		t.state = failed
	}
}

// report turns task states into the invocation's outcome: a message is
// retried if any of its jobs must be.
func (w *Worker) report(inv *jobs.Invocation, tasks []*task) Outcome {
	var out Outcome
	retry := map[*jobs.Message]bool{}
	for _, t := range tasks {
		switch t.state {
		case succeeded:
			out.Succeeded++
		case failed:
			out.Failed++
		case acked:
			out.Skipped++
		case retryLater, pending:
			out.Retried++
			retry[t.msg] = true
		}
	}
	for i := range inv.Messages {
		m := &inv.Messages[i]
		if m.Ignored {
			out.Skipped++
		}
		if retry[m] && m.MessageID != "" {
			out.Retry = append(out.Retry, m.MessageID)
		} else if retry[m] {
			out.Retry = append(out.Retry, fmt.Sprintf("record-%d", i))
		}
	}
	return out
}

// each runs fn on every task with the configured concurrency: S3 and
// DynamoDB calls dominate an invocation's time when done one by one.
func (w *Worker) each(tasks []*task, fn func(*task)) {
	limit := max(w.Config.FetchParallel, 1)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, t := range tasks {
		if t.timing == nil {
			t.timing = map[string]int64{}
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(t)
		})
	}
	wg.Wait()
}

// fetchBudget is how long one input's fetch may retry: a third of the time
// left for work, so a stuck object never starves its neighbours.
func fetchBudget(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Minute
	}
	return max(time.Until(d)/3, 0)
}

func (t *task) fail(err error) {
	if jobs.IsPermanent(err) {
		t.state, t.err = failed, err
		return
	}
	t.retry(err)
}

func (t *task) retry(err error) { t.state, t.err = retryLater, err }

func (t *task) time(name string, since time.Time) {
	t.timing[name] += time.Since(since).Milliseconds()
}
