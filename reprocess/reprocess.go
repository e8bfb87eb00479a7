// Package reprocess runs finished jobs again: it selects FAILED or
// SUCCEEDED items through the status index, resets each and enqueues its
// job under the same job_id (`batchinfer reprocess`, and the worker when a
// scheduled reprocess request arrives on its queue).
package reprocess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Options selects the jobs to run again.
type Options struct {
	Status          store.Status // FAILED or SUCCEEDED
	Since           time.Time    // updated at or after
	Code            string       // only FAILED items with this error code ("" = any)
	ModelVersionNot string       // only items whose model_version differs ("" = any)
	Limit           int          // at most this many items read (0 = all)
	DryRun          bool         // report, change nothing
	// RunID makes the run resumable: its window's upper bound and its
	// cursor are kept in the results table under this id, so a run that
	// stops part-way (deadline, crash) and is started again with the same
	// id goes on after the last job it handled. The worker passes the
	// reprocess request's message id: a redelivery continues the run.
	RunID string
	// Progress, when set, is called after each job the run goes through
	// with how many it has handled (a counter on a terminal: the listing
	// is paged, so the total is not known ahead).
	Progress func(handled int)
}

// pageSize is how many jobs a run lists at a time; its cursor is saved
// after each page.
const pageSize = 100

// Reprocess actions.
const (
	ActionRequeued     = "requeued"
	ActionWouldRequeue = "would_requeue"
	ActionSkipped      = "skipped"
	ActionError        = "error"
)

// Result is what reprocessing did with one job.
type Result struct {
	JobID     string `json:"job_id"`
	Input     string `json:"input"`
	Action    string `json:"action"`
	MessageID string `json:"message_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Err is the error of an ActionError (its taxonomy code tells whether
	// running the same selection again may help).
	Err error `json:"-"`
}

// Reprocessor runs finished jobs again: scheduled reprocessing of failed
// items, or of every item after a new model version.
type Reprocessor struct {
	Results JobLister
	Queue   store.Sender     // the jobs queue
	Objects ObjectVersions   // to check an S3-notified object is unchanged
	Now     func() time.Time // a new run's upper bound; nil = time.Now
}

// JobLister finds finished jobs, resets them, and keeps a resumable run's
// state.
type JobLister interface {
	ListWindow(ctx context.Context, status store.Status, w store.Window, limit int) ([]store.Record, error)
	Reset(ctx context.Context, jobID string, expect store.Status) error
	LoadRun(ctx context.Context, id string) (store.RunState, bool, error)
	SaveRun(ctx context.Context, id string, st store.RunState) error
}

// ObjectVersions tells an S3 object's current version id and ETag.
type ObjectVersions interface {
	ObjectVersion(ctx context.Context, bucket, key string) (versionID, etag string, err error)
}

// Run finds the selected items through the status index and, for each
// with an S3 input, resets the item (only if still in opt.Status) and
// enqueues the job again under the same job_id. Inline inputs are skipped:
// their payload is only in the DLQ. Per-job problems are in the results;
// the error is for the listing itself.
//
// The run lists in pages by (updated_at, job_id) up to the moment it began,
// so the jobs it requeues, once finished again, are never selected a
// second time by the same run; a reset only succeeds on an item still in
// opt.Status. With opt.RunID the upper bound and the cursor persist, and a
// second Run with that id continues where the first stopped.
func (rp *Reprocessor) Run(ctx context.Context, opt Options) ([]Result, error) {
	if opt.Status != store.StatusFailed && opt.Status != store.StatusSucceeded {
		return nil, fmt.Errorf("reprocess: status %q: only FAILED or SUCCEEDED jobs are reprocessed (an IN_PROGRESS job is taken over by its next delivery once its lease expires)", opt.Status)
	}
	st, err := rp.start(ctx, opt)
	if err != nil {
		return nil, fmt.Errorf("reprocess: %w", err)
	}
	until, err := time.Parse(store.TimeFormat, st.Until)
	if err != nil {
		return nil, fmt.Errorf("reprocess: run %s: bad upper bound %q: %w", opt.RunID, st.Until, err)
	}
	var out []Result
	for opt.Limit <= 0 || st.Handled < opt.Limit {
		n := pageSize
		if opt.Limit > 0 {
			n = min(n, opt.Limit-st.Handled)
		}
		recs, err := rp.Results.ListWindow(ctx, opt.Status, store.Window{Since: opt.Since, Until: until, After: st.After}, n)
		if err != nil {
			return out, fmt.Errorf("reprocess: %w", err)
		}
		stopped := false
		for i := range recs {
			if ctx.Err() != nil {
				// Out of time: no new reset may start, since a reset whose
				// enqueue is cut short leaves the job neither FAILED nor
				// queued. The cursor stays before this job.
				err := jobs.Wrap(jobs.CodeDeadline, ctx.Err(), "not started")
				out = append(out, Result{JobID: recs[i].JobID, Input: recs[i].Input, Action: ActionError, Reason: err.Error(), Err: err})
				stopped = true
				continue
			}
			if r, picked := rp.pick(ctx, &recs[i], opt); picked {
				out = append(out, r)
			}
			st.After, st.Handled = store.CursorOf(recs[i]), st.Handled+1
			if opt.Progress != nil {
				opt.Progress(st.Handled)
			}
		}
		if err := rp.save(context.WithoutCancel(ctx), opt, st); err != nil {
			return out, fmt.Errorf("reprocess: %w", err)
		}
		if stopped || len(recs) < n {
			break
		}
	}
	return out, nil
}

// start is the run's state: loaded when opt.RunID names a run begun
// before, else new with the upper bound now (and saved at once, so a
// crash before the first page still leaves the bound).
func (rp *Reprocessor) start(ctx context.Context, opt Options) (store.RunState, error) {
	if opt.RunID != "" && !opt.DryRun {
		st, ok, err := rp.Results.LoadRun(ctx, opt.RunID)
		if err != nil || ok {
			return st, err
		}
	}
	now := time.Now
	if rp.Now != nil {
		now = rp.Now
	}
	st := store.RunState{Until: store.FormatTime(now())}
	return st, rp.save(ctx, opt, st)
}

func (rp *Reprocessor) save(ctx context.Context, opt Options, st store.RunState) error {
	if opt.RunID == "" || opt.DryRun {
		return nil
	}
	return rp.Results.SaveRun(ctx, opt.RunID, st)
}

// pick handles rec when it passes the filters.
func (rp *Reprocessor) pick(ctx context.Context, rec *store.Record, opt Options) (Result, bool) {
	if opt.Code != "" && (rec.Error == nil || string(rec.Error.Code) != opt.Code) {
		return Result{}, false
	}
	if opt.ModelVersionNot != "" && rec.ModelVersion == opt.ModelVersionNot {
		return Result{}, false
	}
	return rp.one(ctx, rec, opt), true
}

func (rp *Reprocessor) one(ctx context.Context, rec *store.Record, opt Options) Result {
	r := Result{JobID: rec.JobID, Input: rec.Input, Action: ActionSkipped}
	if !strings.HasPrefix(rec.Input, "s3://") {
		r.Reason = inlineReason(rec.Status)
		return r
	}
	body, reason, err := rp.body(ctx, rec)
	switch {
	case err != nil:
		r.Action, r.Reason, r.Err = ActionError, err.Error(), err
		return r
	case reason != "":
		r.Reason = reason
		return r
	case opt.DryRun:
		r.Action = ActionWouldRequeue
		return r
	}
	if err := rp.Results.Reset(ctx, rec.JobID, opt.Status); errors.Is(err, store.ErrChanged) {
		r.Reason = "the item changed since it was listed; left alone"
		return r
	} else if err != nil {
		r.Action, r.Reason, r.Err = ActionError, err.Error(), err
		return r
	}
	var sent []store.Sent
	err = store.Retry(ctx, func(ctx context.Context) error {
		var err error
		if sent, err = rp.Queue.Send(ctx, []store.OutMessage{{Body: body}}); err == nil {
			err = sent[0].Err
		}
		return err
	})
	if err != nil {
		// The item is gone and the job not queued: say how to finish by hand
		// (a second run no longer finds the job).
		r.Action, r.Err = ActionError, err
		r.Reason = fmt.Sprintf("item reset but enqueue failed (%v); resubmit with: batchinfer submit --job-id %s --model %s %s", err, rec.JobID, rec.Model, rec.Input)
		return r
	}
	r.Action, r.MessageID = ActionRequeued, sent[0].MessageID
	return r
}

// inlineReason says how to rerun an inline job, whose payload only its
// message held.
func inlineReason(status store.Status) string {
	if status == store.StatusFailed {
		return "inline input: its payload is in the dead-letter queue, and `batchinfer dlq redrive --to QUEUE_URL` reruns it (the worker reruns a redriven FAILED job and replaces its item)"
	}
	return "inline input: its payload is not stored; submit it again under a new job_id to run it again"
}

// body is the message that makes the worker run rec's job again under the
// same job_id. A job id derived from an S3 object cannot be given to an
// inline job (the prefix is reserved), so such a job gets an S3 event
// notification for the object's current version, which derives the same
// id only while the object is unchanged.
func (rp *Reprocessor) body(ctx context.Context, rec *store.Record) (body, skip string, err error) {
	obj, err := jobs.ParseS3URI(rec.Input)
	if err != nil {
		return "", "", fmt.Errorf("input %q: %w", rec.Input, err)
	}
	if !strings.HasPrefix(rec.JobID, jobs.ObjectJobPrefix) {
		var meta json.RawMessage
		if len(rec.Metadata) > 0 {
			if meta, err = json.Marshal(rec.Metadata); err != nil {
				return "", "", fmt.Errorf("job %s: metadata: %w", rec.JobID, err)
			}
		}
		body, err := jobs.InlineJob{JobID: rec.JobID, Model: rec.Model, S3: rec.Input, Metadata: meta}.Body()
		return body, "", err
	}
	if rp.Objects == nil {
		return "", "", errors.New("an S3-notified job needs an S3 client to check its object")
	}
	version, etag, err := rp.Objects.ObjectVersion(ctx, obj.Bucket, obj.Key)
	if err != nil {
		return "", "", err
	}
	if jobs.ObjectJobID(obj.Bucket, obj.Key, version, etag) != rec.JobID {
		return "", "the object changed since this job: its current version is another job (its own upload notification runs it)", nil
	}
	return jobs.S3Notification("", jobs.S3Object{Bucket: obj.Bucket, Key: obj.Key, VersionID: version, ETag: etag}), "", nil
}
