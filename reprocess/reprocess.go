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
}

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
	Queue   store.Sender   // the jobs queue
	Objects ObjectVersions // to check an S3-notified object is unchanged
}

// JobLister finds finished jobs and resets them.
type JobLister interface {
	ListByStatus(ctx context.Context, status store.Status, since time.Time, limit int) ([]store.Record, error)
	Reset(ctx context.Context, jobID string, expect store.Status) error
}

// ObjectVersions tells an S3 object's current version id and ETag.
type ObjectVersions interface {
	ObjectVersion(ctx context.Context, bucket, key string) (versionID, etag string, err error)
}

// Run finds the selected items through the status index and, for each
// with an S3 input, resets the item (only if still in opt.Status) and
// enqueues the job again under the same job_id. Inline inputs are skipped:
// their payload is only in the DLQ, which `dlq redrive` moves back.
// Per-job problems are in the results; the error is for the listing itself.
func (rp *Reprocessor) Run(ctx context.Context, opt Options) ([]Result, error) {
	if opt.Status != store.StatusFailed && opt.Status != store.StatusSucceeded {
		return nil, fmt.Errorf("reprocess: status %q: only FAILED or SUCCEEDED jobs are reprocessed (an IN_PROGRESS job is taken over by its next delivery once its lease expires)", opt.Status)
	}
	recs, err := rp.Results.ListByStatus(ctx, opt.Status, opt.Since, opt.Limit)
	if err != nil {
		return nil, fmt.Errorf("reprocess: %w", err)
	}
	var out []Result
	for i := range recs {
		rec := &recs[i]
		if opt.Code != "" && (rec.Error == nil || string(rec.Error.Code) != opt.Code) {
			continue
		}
		if opt.ModelVersionNot != "" && rec.ModelVersion == opt.ModelVersionNot {
			continue
		}
		if ctx.Err() != nil {
			// Out of time: no new reset may start, since a reset whose
			// enqueue is cut short leaves the job neither FAILED nor queued.
			err := jobs.Wrap(jobs.CodeDeadline, ctx.Err(), "not started")
			out = append(out, Result{JobID: rec.JobID, Input: rec.Input, Action: ActionError, Reason: err.Error(), Err: err})
			continue
		}
		out = append(out, rp.one(ctx, rec, opt))
	}
	return out, nil
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
