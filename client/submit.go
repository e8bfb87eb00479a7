package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// MaxInlineDataBytes caps a file sent inline: base64 makes it a third
// larger, and an SQS message holds at most 256 KiB.
const MaxInlineDataBytes = 192 << 10

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
	return jobs.InlineJob{JobID: s.JobID, Model: s.Model, S3: s.S3, Features: s.Features, Data: s.Data, Metadata: s.Metadata}.Body()
}

// Submitted is one job sent to the queue.
type Submitted struct {
	JobID     string `json:"job_id"`
	MessageID string `json:"message_id,omitempty"`
	// Status is the job's when it had finished before (not sent again).
	Status string `json:"status,omitempty"`
	Note   string `json:"note,omitempty"`
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
		m, err := jobs.CheckBody(b, checkID)
		switch {
		case err != nil:
			return nil, fmt.Errorf("job %d: %w", i+1, err)
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
