package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// Outcome is what one invocation did, message by message.
type Outcome struct {
	RetryIDs  []string // message IDs SQS must redeliver (batchItemFailures)
	Succeeded int      // jobs that reached SUCCEEDED in this invocation
	Failed    int      // jobs that reached FAILED in this invocation
	Skipped   int      // duplicates of finished jobs, ignored events
	Retried   int      // jobs left for a later delivery
	// States is each message's state, by index in the invocation, for
	// callers that answer per message (S3 Batch Operations).
	States []MessageState
}

// MessageState is how one message of an invocation ended.
type MessageState struct {
	Retry  bool   // redeliver
	Failed bool   // a permanent failure was recorded
	JobID  string // the (first) job's id
	Err    error
}

// task is one job's way through an invocation.
type task struct {
	msg *jobs.Message
	// job is the one copy of what the job is (its item is made from it:
	// item.go); resolve sets its Model to the model it runs on.
	job        jobs.Job
	model      *model.Model
	token      string        // this attempt's claim token: its own write is recognised when an answer is lost; "" when the item is another payload's
	claim      bool          // the job is claimed before work (else completed optimistically)
	claimed    bool          // the claim is held
	existing   *store.Record // the item as looked up, or as claimed (its attempts and creation time, a record file's progress)
	input      model.Input   // what the model takes: fetched bytes, a text, tensors
	features   feat.Found    // the entity's stored features (features.go)
	dupOf      *task         // a second delivery of the same job in this invocation
	reuseKey   string        // the key of its reuse entry, when its model reuses results (reuse.go)
	reused     *store.Record // the reuse entry that answers it: no inference
	file       *recordFile   // set when the job is a record file
	m          *invMetrics
	suspect    bool             // an earlier attempt ended without an outcome: run apart (isolate.go)
	rerunAt    time.Time        // when a redrive reset the FAILED item (rerun)
	now        func() time.Time // the worker's clock
	finishedAt time.Time        // when its outcome was written (names the completion event)

	// outcome
	state  taskState
	err    error
	output map[string]any
	batch  int
	note   string // why an acknowledged task did nothing
	timing map[string]int64
	start  time.Time

	// what its item says of the outcome (item.go)
	status    store.Status     // the status written
	errInfo   *store.ErrorInfo // a FAILED item's error
	stored    map[string]any   // the output as the item holds it: whole, or a summary of the object at outputURI
	outputURI string
}

// Process runs one invocation. It never returns an error: every job ends as
// an item, a DLQ entry or a retry, and the Outcome says which.
//
// The AWS calls of a job: none to find a finished duplicate (one
// BatchGetItem serves up to 100 jobs), the input GET for S3 inputs, and one
// conditional write of the outcome; the output goes to S3 only when it is
// too large for the item, and a claim write comes first only for jobs that
// are claimed (record files, BATCHINFER_CLAIM).
func (w *Worker) Process(ctx context.Context, inv *jobs.Invocation) Outcome {
	out := w.process(ctx, inv)
	w.delayRetries(ctx, inv, out)
	return out
}

// process is Process but for delaying the retries, which the poller does
// itself once it has let go of their messages (poll.go).
func (w *Worker) process(ctx context.Context, inv *jobs.Invocation) Outcome {
	ctx, m := w.startMetrics(ctx)
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
	for _, t := range tasks {
		t.m = m
	}
	w.run(workCtx, finishCtx, inv, tasks, deadline) // lookup → claim → work → failures (fifo.go)
	w.settleDuplicates(tasks)
	w.finishMetrics(m, inv, tasks)
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
			t := w.newTask(m, jobs.Job{ID: m.ErrJobID, PayloadHash: m.BodyHash})
			t.failWith(m.Err)
			tasks = append(tasks, t)
			continue
		}
		for _, j := range m.Jobs {
			t := w.newTask(m, j)
			if f, ok := first[j.ID]; ok {
				if f.job.PayloadHash == j.PayloadHash {
					t.dupOf = f
				} else {
					t.failWith(jobs.Errorf(jobs.CodeIdempotencyConflict,
						"job_id %q appears twice in this batch with different payloads", j.ID))
				}
			} else {
				first[j.ID] = t
				w.resolve(t)
			}
			tasks = append(tasks, t)
		}
	}
	return tasks
}

// startTask starts a task for job j of message m on the worker's clock.
func (w *Worker) startTask(m *jobs.Message, j jobs.Job) *task {
	return &task{msg: m, job: j, now: w.now, start: w.now(), timing: map[string]int64{}}
}

// newTask starts a task for job j of message m, with this attempt's token.
func (w *Worker) newTask(m *jobs.Message, j jobs.Job) *task {
	t := w.startTask(m, j)
	tok, err := store.NewClaimToken()
	if err != nil {
		t.retry(jobs.Wrap(jobs.CodeInternal, err, "make a claim token"))
	}
	t.token = tok
	return t
}

// resolve picks the job's model (its own, else the route of its key, else
// the served model that takes its kind of input: modelkind.go) and whether it is a record file and claimed.
func (w *Worker) resolve(t *task) {
	if t.state != pending {
		return
	}
	name := t.job.Model
	if name == "" && t.job.Input.S3 != nil {
		name = w.Config.Routes.Model(t.job.Input.S3.Key)
	}
	var m *model.Model
	var err error
	if name == "" {
		m, err = modelForKind(w.Engine.Models(), jobInputKind(t.job.Input), len(t.job.Entity) > 0)
	} else {
		m, err = w.Engine.Model(name)
	}
	if err != nil {
		t.job.Model = name // the item names the model asked for
		t.failWith(err)
		return
	}
	t.model, t.job.Model = m, m.Name()
	if s3 := t.job.Input.S3; s3 != nil {
		if f, gz, ok := jobs.RecordFileFormat(s3.Key); ok {
			t.file = &recordFile{format: f, gzipped: gz}
		}
	}
	t.claim = t.file != nil || w.Config.Claim.claims(m.Name())
}

// since is when this delivery's work began, as the queue saw it: a reset
// after it makes the attempt's outcome stale. A redrive's own reset
// (rerun) comes after its message was sent, so its work begins there.
func (t *task) since() time.Time {
	if !t.rerunAt.IsZero() {
		return t.rerunAt
	}
	if !t.msg.SentAt.IsZero() {
		return t.msg.SentAt
	}
	return t.start
}

// lookup reads the item of every job that has one, in one BatchGetItem
// per 100 jobs, before any work: finished duplicates are acknowledged
// (also those that failed before the lookup: a plain redelivery of a job
// whose outcome is written sends no second dead letter), conflicts failed,
// jobs another attempt holds left for later, and a redriven FAILED job
// reset to run again.
func (w *Worker) lookup(ctx context.Context, tasks []*task) {
	var ids []string
	for _, t := range tasks {
		if t.hasItem() {
			ids = append(ids, t.job.ID)
			if w.inlineReuseKey(t); t.reuseKey != "" {
				ids = append(ids, t.reuseKey) // rides the same BatchGetItem
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	var found map[string]*store.Record
	err := store.Retry(ctx, func(ctx context.Context) error {
		var err error
		found, err = w.Results.Lookup(ctx, ids)
		return err
	})
	if err != nil {
		// Not fatal: each job's own write still finds what is there.
		w.logger().Warn("lookup of finished jobs failed; writes will tell", "err", err, "jobs", len(ids))
		return
	}
	now := w.now().UnixMilli()
	w.markSuspects(tasks, found, now)
	for _, t := range tasks {
		if ex := found[t.job.ID]; ex != nil && t.hasItem() {
			w.settleFound(ctx, t, ex, now)
		}
		takeReuse(t, found)
	}
}

// hasItem says whether t's job has an item to look up: every job, and a
// message that failed to decode (under its ErrJobID); not a reprocess
// request, a repeat of a job in this invocation, or a task already settled.
func (t *task) hasItem() bool {
	return t.dupOf == nil && t.msg.Reprocess == nil && t.job.ID != "" && (t.state == pending || t.state == failed)
}

// settleFound applies the item lookup found for t's job. A task that
// failed before the lookup only learns whether its outcome is written
// already (then this delivery is a duplicate) or is redriven.
func (w *Worker) settleFound(ctx context.Context, t *task, ex *store.Record, now int64) {
	if t.state == pending {
		t.existing = ex
	}
	switch {
	case ex.PayloadHash != "" && ex.PayloadHash != t.job.PayloadHash:
		if t.state == pending {
			w.settleTaken(ctx, t, store.Conflict, ex)
		}
	case t.reruns(ex):
		t.existing = nil
		w.rerun(ctx, t)
	case ex.Status.Final():
		w.settleTaken(ctx, t, store.Done, ex)
	case t.state == pending && ex.LeaseExpiresAt >= now:
		w.settleTaken(ctx, t, store.Busy, ex)
	}
}

// reruns says whether t's message is a redrive of its FAILED job: it came
// back from the dead-letter queue carrying the worker's attributes, and the
// FAILED item is not its own (a redriven message delivered again after its
// rerun failed finds its own outcome: a duplicate).
func (t *task) reruns(ex *store.Record) bool {
	return t.msg.Redrive && ex.Status == store.StatusFailed && ex.MessageID != t.msg.MessageID
}

// rerun resets t's FAILED item so this delivery runs the job again and
// replaces it; its outcome (or a new failure) is written as for a first
// delivery.
func (w *Worker) rerun(ctx context.Context, t *task) {
	err := store.Retry(ctx, func(ctx context.Context) error { return w.Results.Reset(ctx, t.job.ID, store.StatusFailed) })
	switch {
	case errors.Is(err, store.ErrChanged):
		t.retry(jobs.Errorf(jobs.CodeInProgress, "job %q changed while its redrive began; the next delivery looks again", t.job.ID))
	case err != nil:
		t.retry(err)
	default:
		// The reset is newer than the message: this delivery's work begins now.
		t.rerunAt = w.now()
		w.logger().Info("redrive: rerunning a FAILED job", "job_id", t.job.ID, "message_id", t.msg.MessageID)
	}
}

// settleTaken ends t when its job's item is not this attempt's to write,
// as a lookup, a claim or a write found it (outcome in a claim's terms):
// a finished job (this delivery is a duplicate), one another attempt holds
// (retried, it finds the outcome), or another payload's (t fails, and
// writes nothing over that item).
func (w *Worker) settleTaken(ctx context.Context, t *task, outcome store.ClaimOutcome, ex *store.Record) {
	switch outcome {
	case store.Done:
		w.duplicate(ctx, t, ex)
	case store.Busy:
		t.retry(jobs.Errorf(jobs.CodeInProgress, "another invocation is working on job %q", t.job.ID))
	case store.Conflict:
		t.failWith(jobs.Errorf(jobs.CodeIdempotencyConflict, "job_id %q was already used for a different payload", t.job.ID))
		t.token = ""
	}
}

// claim takes the idempotency claim of every task that is claimed.
func (w *Worker) claim(ctx context.Context, tasks []*task, deadline time.Time) {
	var todo []*task
	for _, t := range tasks {
		if t.inPlay() && t.claim {
			todo = append(todo, t)
		}
	}
	w.each(todo, func(t *task) {
		if ctx.Err() != nil {
			t.retry(jobs.Errorf(jobs.CodeDeadline, "not started: less than %s of the invocation was left", w.Config.DeadlineMargin))
			return
		}
		w.claimOne(ctx, t, time.Until(deadline))
	})
}

// claimOne claims t's job; on success t.claimed is set and t.existing is
// the claimed item (a resumed record file's progress among it).
func (w *Worker) claimOne(ctx context.Context, t *task, lease time.Duration) {
	var res store.ClaimResult
	err := store.Retry(ctx, func(ctx context.Context) error {
		var err error
		res, err = w.Results.Claim(ctx, w.item(t), lease)
		return err
	})
	if err != nil {
		t.retry(err)
		return
	}
	if res.Outcome != store.Claimed {
		w.settleTaken(ctx, t, res.Outcome, res.Existing)
		return
	}
	t.claimed, t.token, t.existing = true, res.Token, res.Existing
}

// settleDuplicates gives repeated deliveries inside the invocation their
// first delivery's state: acknowledged when it finished, retried with it.
func (w *Worker) settleDuplicates(tasks []*task) {
	for _, t := range tasks {
		if t.dupOf == nil {
			continue
		}
		switch t.dupOf.state {
		case succeeded, failed, acked:
			t.ack("") // the first delivery recorded the outcome
		case retryLater:
			t.retry(nil)
		}
		w.logOutcome(t)
	}
}

// report turns task states into the invocation's outcome: a message is
// retried if any of its jobs must be.
func (w *Worker) report(inv *jobs.Invocation, tasks []*task) Outcome {
	out := Outcome{States: make([]MessageState, len(inv.Messages))}
	index := map[*jobs.Message]int{}
	for i := range inv.Messages {
		index[&inv.Messages[i]] = i
	}
	for _, t := range tasks {
		st := &out.States[index[t.msg]]
		if st.JobID == "" {
			st.JobID = t.job.ID
		}
		switch t.state {
		case succeeded:
			out.Succeeded++
		case failed:
			out.Failed++
			st.Failed, st.Err = true, t.err
		case acked:
			out.Skipped++
		case retryLater, pending:
			out.Retried++
			st.Retry, st.Err = true, t.err
		}
	}
	for i := range inv.Messages {
		m := &inv.Messages[i]
		if m.Ignored {
			out.Skipped++
		}
		if !out.States[i].Retry {
			continue
		}
		if m.MessageID != "" {
			out.RetryIDs = append(out.RetryIDs, m.MessageID)
		} else {
			out.RetryIDs = append(out.RetryIDs, fmt.Sprintf("record-%d", i))
		}
	}
	return out
}

// each runs fn on every task, as many at once as the batch has tasks (up to
// MaxAWSConcurrency, or BATCHINFER_AWS_CONCURRENCY when set): S3 and
// DynamoDB calls dominate an invocation's time when done in rounds.
func (w *Worker) each(tasks []*task, fn func(*task)) {
	sem := make(chan struct{}, w.Config.awsConcurrency(len(tasks)))
	var wg sync.WaitGroup
	for _, t := range tasks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(t)
		})
	}
	wg.Wait()
}
