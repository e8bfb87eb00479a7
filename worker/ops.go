package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// The operator commands' logic: submit, results, reprocess. The cmd
// package only parses flags and prints.

// MaxInlineDataBytes caps a file sent inline: base64 makes it a third
// larger, and an SQS message holds at most 256 KiB.
const MaxInlineDataBytes = 192 << 10

// maxMessageBytes is SQS's message size limit.
const maxMessageBytes = 256 << 10

// JobSpec is one inline job to submit: exactly one of S3, Features, Data.
type JobSpec struct {
	JobID    string          // "" lets the message id be the job id
	Model    string          // "" = the worker's default model
	S3       string          // s3://bucket/key
	Features json.RawMessage // a JSON array or object of features
	Data     []byte          // file bytes, sent base64-encoded
	Metadata json.RawMessage // a JSON object copied to the result
}

// Body returns the job's message body, refusing what the worker would
// reject as malformed.
func (s JobSpec) Body() (string, error) {
	if len(s.Data) > MaxInlineDataBytes {
		return "", fmt.Errorf("inline data is %d KiB, over %d KiB: an SQS message holds at most 256 KiB; upload the file to the input bucket and submit its s3:// URI instead",
			len(s.Data)>>10, MaxInlineDataBytes>>10)
	}
	input := map[string]any{}
	switch {
	case s.S3 != "":
		input["s3"] = s.S3
	case s.Features != nil:
		input["features"] = s.Features
	case s.Data != nil:
		input["data_base64"] = s.Data // encoding/json writes []byte as standard base64
	}
	j := map[string]any{"input": input}
	if s.JobID != "" {
		j["job_id"] = s.JobID
	}
	if s.Model != "" {
		j["model"] = s.Model
	}
	if s.Metadata != nil {
		j["metadata"] = s.Metadata
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", fmt.Errorf("encode job: %w", err)
	}
	return string(b), nil
}

// Submitted is one job sent to the queue.
type Submitted struct {
	JobID     string `json:"job_id"`
	MessageID string `json:"message_id"`
	Note      string `json:"note,omitempty"`
}

// checkID stands in for the message id while validating: the worker uses
// the message id when a job names none.
const checkID = "batchinfer-submit-check"

// Submit validates every body as the worker will decode it, then sends
// them in batches of ten. Nothing is sent when a body is invalid. The
// result has one entry per body, in order; a failed entry has no
// MessageID and its error is in the joined error.
func Submit(ctx context.Context, q *store.Queue, bodies []string) ([]Submitted, error) {
	out := make([]Submitted, len(bodies))
	byMessage := make([]bool, len(bodies)) // jobs whose id will be their message id
	msgs := make([]store.OutMessage, len(bodies))
	for i, b := range bodies {
		if len(b) > maxMessageBytes {
			return nil, fmt.Errorf("job %d: the message is %d KiB, over SQS's 256 KiB", i+1, len(b)>>10)
		}
		m := jobs.DecodeMessage(events.SQSMessage{MessageId: checkID, Body: b})
		switch {
		case m.Err != nil:
			return nil, fmt.Errorf("job %d: %w", i+1, m.Err)
		case m.Ignored:
			return nil, fmt.Errorf("job %d carries no work (%s)", i+1, m.IgnoredReason)
		case m.Reprocess != nil:
			out[i].Note = "a reprocess request: the worker that receives it requeues the jobs it selects"
		case len(m.Jobs) == 1 && m.Jobs[0].ID != checkID:
			out[i].JobID = m.Jobs[0].ID
		case len(m.Jobs) == 1:
			out[i].Note = "no job_id given: the message id is the job id"
			byMessage[i] = true
		default:
			out[i].Note = fmt.Sprintf("an S3 event of %d objects: each object's job id is derived from it", len(m.Jobs))
		}
		msgs[i] = store.OutMessage{Body: b}
	}
	sent, err := q.Send(ctx, msgs)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for i, s := range sent {
		out[i].MessageID = s.MessageID
		if s.Err != nil && err == nil {
			errs = append(errs, fmt.Errorf("job %d: %w", i+1, s.Err))
		}
		if byMessage[i] {
			out[i].JobID = s.MessageID
		}
	}
	return out, errors.Join(errs...)
}

// ItemJSON returns the item as it is stored (snake_case attribute names),
// ready to print as JSON; the claim token, a secret of the attempt that
// holds the job, is left out.
func ItemJSON(rec *store.Record) (map[string]any, error) {
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", rec.JobID, err)
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(av, &m); err != nil {
		return nil, fmt.Errorf("encode job %s: %w", rec.JobID, err)
	}
	delete(m, "claim_token")
	return m, nil
}

// WaitFinal reads the named jobs until each is SUCCEEDED or FAILED,
// every `every`, until ctx ends. It returns the items as last read (nil
// for a job with no item) and, when ctx ended first, an error naming the
// jobs still unfinished.
func WaitFinal(ctx context.Context, r *store.Results, ids []string, every time.Duration) ([]*store.Record, error) {
	recs := make([]*store.Record, len(ids))
	for {
		var pending []string
		for i, id := range ids {
			if recs[i] != nil && store.Status(recs[i].Status).Final() {
				continue
			}
			rec, err := r.Get(ctx, id)
			if err != nil && ctx.Err() == nil {
				return recs, err
			}
			if err == nil {
				recs[i] = rec
			}
			if rec == nil || !store.Status(rec.Status).Final() {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 {
			return recs, nil
		}
		sleep(ctx, every)
		if ctx.Err() != nil {
			return recs, fmt.Errorf("%d of %d jobs not finished (%s): %w", len(pending), len(ids), strings.Join(pending, ", "), ctx.Err())
		}
	}
}

// ReprocessOptions selects the jobs to run again.
type ReprocessOptions struct {
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

// Reprocessed is what reprocessing did with one job.
type Reprocessed struct {
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
	Results *store.Results
	Queue   *store.Queue // the jobs queue
	S3      *s3.Client   // to check an S3-notified object is unchanged
}

// Run finds the selected items through the status index and, for each
// with an S3 input, resets the item (only if still in opt.Status) and
// enqueues the job again under the same job_id. Inline inputs are skipped:
// their payload is only in the DLQ. Per-job problems are in the results;
// the error is for the listing itself.
func (rp *Reprocessor) Run(ctx context.Context, opt ReprocessOptions) ([]Reprocessed, error) {
	if opt.Status != store.StatusFailed && opt.Status != store.StatusSucceeded {
		return nil, fmt.Errorf("reprocess: status %q: only FAILED or SUCCEEDED jobs are reprocessed (an IN_PROGRESS job is taken over by its next delivery once its lease expires)", opt.Status)
	}
	recs, err := rp.Results.ListByStatus(ctx, opt.Status, opt.Since, opt.Limit)
	if err != nil {
		return nil, fmt.Errorf("reprocess: %w", err)
	}
	var out []Reprocessed
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
			out = append(out, Reprocessed{JobID: rec.JobID, Input: rec.Input, Action: ActionError, Reason: err.Error(), Err: err})
			continue
		}
		out = append(out, rp.one(ctx, rec, opt))
	}
	return out, nil
}

func (rp *Reprocessor) one(ctx context.Context, rec *store.Record, opt ReprocessOptions) Reprocessed {
	r := Reprocessed{JobID: rec.JobID, Input: rec.Input, Action: ActionSkipped}
	if !strings.HasPrefix(rec.Input, "s3://") {
		r.Reason = "inline input: the payload is not stored; a FAILED job's message is in the DLQ: `batchinfer dlq list`, then `batchinfer dlq redrive --to QUEUE_URL`"
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
	err = retry(ctx, func(ctx context.Context) error {
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
		j := map[string]any{"job_id": rec.JobID, "input": map[string]string{"s3": rec.Input}}
		if rec.Model != "" {
			j["model"] = rec.Model
		}
		if len(rec.Metadata) > 0 {
			j["metadata"] = rec.Metadata
		}
		b, err := json.Marshal(j)
		return string(b), "", err
	}
	if rp.S3 == nil {
		return "", "", errors.New("an S3-notified job needs an S3 client to check its object")
	}
	version, etag, err := store.ObjectVersion(ctx, rp.S3, obj.Bucket, obj.Key)
	if err != nil {
		return "", "", err
	}
	if jobs.ObjectJobID(obj.Bucket, obj.Key, version, etag) != rec.JobID {
		return "", "the object changed since this job: its current version is another job (its own upload notification runs it)", nil
	}
	return jobs.S3Notification("", jobs.S3Object{Bucket: obj.Bucket, Key: obj.Key, VersionID: version, ETag: etag}), "", nil
}
