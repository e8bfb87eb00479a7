package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// CompletionDetailType is the EventBridge detail-type of a completion
// event, and CompletionSource its source.
const (
	CompletionDetailType = "batchinfer.job.finished"
	CompletionSource     = "batchinfer"
)

// MaxCompletionBytes is the largest encoded event: SNS and EventBridge
// both take at most 256 KiB.
const MaxCompletionBytes = 256 << 10

// Completion is the event published once per finished job (SUCCEEDED or
// FAILED), what SageMaker Async's success and error topics carry.
// Delivery is at least once: NotificationID is the same on every publish
// of one outcome, so subscribers deduplicate by it.
type Completion struct {
	NotificationID string         `json:"notification_id"`
	JobID          string         `json:"job_id"`
	Status         string         `json:"status"`
	Model          string         `json:"model,omitempty"`
	ModelVersion   string         `json:"model_version,omitempty"`
	Input          string         `json:"input,omitempty"`
	Output         map[string]any `json:"output,omitempty"`     // the whole output, when it is not in S3
	OutputURI      string         `json:"output_uri,omitempty"` // where the full output is, when it is
	Error          *EventError    `json:"error,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	FinishedAt     time.Time      `json:"finished_at"`
	// OutputOmitted says Output was left out to keep the event under
	// MaxCompletionBytes; GET the job for it.
	OutputOmitted bool `json:"output_omitted,omitempty"`
}

// EventError is a FAILED job's error.
type EventError struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// CompletionID is the notification id of one outcome of one job: it
// derives from the job, its final status and when it finished, so a
// publish repeated by a later delivery carries the same id.
func CompletionID(jobID, status string, finishedAt time.Time) string {
	h := sha256.New()
	writeField(h, jobID)
	writeField(h, status)
	writeField(h, finishedAt.UTC().Format(time.RFC3339Nano))
	return "n-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// Encode returns the event's JSON, its NotificationID filled in when
// empty. With an output_uri the output (then only a summary) is left out;
// an inline output that would take the event over MaxCompletionBytes is
// left out and OutputOmitted set.
func (c Completion) Encode() ([]byte, error) {
	if c.JobID == "" || (c.Status != "SUCCEEDED" && c.Status != "FAILED") {
		return nil, fmt.Errorf("encode completion: job %q has status %q, want SUCCEEDED or FAILED", c.JobID, c.Status)
	}
	if c.NotificationID == "" {
		c.NotificationID = CompletionID(c.JobID, c.Status, c.FinishedAt)
	}
	c.FinishedAt = c.FinishedAt.UTC()
	if c.OutputURI != "" {
		c.Output = nil
	}
	b, err := json.Marshal(c)
	if err == nil && len(b) > MaxCompletionBytes && c.Output != nil {
		c.Output, c.OutputOmitted = nil, true
		b, err = json.Marshal(c)
	}
	if err != nil {
		return nil, fmt.Errorf("encode completion of job %s: %w", c.JobID, err)
	}
	return b, nil
}

// Attributes are the SNS message attributes subscribers filter on:
// status, model and (for a failure) error_code. Empty ones are left out:
// SNS refuses empty attribute values.
func (c Completion) Attributes() map[string]string {
	a := map[string]string{"status": c.Status}
	if c.Model != "" {
		a["model"] = c.Model
	}
	if c.Error != nil && c.Error.Code != "" {
		a["error_code"] = string(c.Error.Code)
	}
	return a
}

// DecodeCompletion reads a completion event from a message body as a
// subscriber receives it: the event itself (raw delivery), in an SNS
// envelope ({"Type": "Notification", "Message": "..."}), or as an
// EventBridge event's detail.
func DecodeCompletion(body string) (Completion, error) {
	var env struct {
		Type       string          `json:"Type"`
		Message    *string         `json:"Message"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	raw := []byte(body)
	if err := json.Unmarshal(raw, &env); err != nil {
		return Completion{}, Wrap(CodeMalformedJob, err, "completion event")
	}
	switch {
	case env.Type == "Notification" && env.Message != nil:
		raw = []byte(*env.Message)
	case env.DetailType == CompletionDetailType && len(env.Detail) > 0:
		raw = env.Detail
	}
	var c Completion
	if err := json.Unmarshal(raw, &c); err != nil {
		return Completion{}, Wrap(CodeMalformedJob, err, "completion event")
	}
	if c.JobID == "" || c.Status == "" {
		return Completion{}, Errorf(CodeMalformedJob, "not a completion event (no job_id or status): %s", truncate(body))
	}
	return c, nil
}
