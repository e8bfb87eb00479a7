package store

import "time"

// Status is a job's state in the results table.
type Status string

// The three states of a job item. IN_PROGRESS is a claim with a lease;
// SUCCEEDED and FAILED are final.
const (
	StatusInProgress Status = "IN_PROGRESS"
	StatusSucceeded  Status = "SUCCEEDED"
	StatusFailed     Status = "FAILED"
)

// Final reports whether s is an outcome no later delivery may change.
func (s Status) Final() bool { return s == StatusSucceeded || s == StatusFailed }

// ErrorInfo is the `error` map of a FAILED item.
type ErrorInfo struct {
	Code    string `dynamodbav:"code"`
	Message string `dynamodbav:"message"`
}

// Record is one item of the results table, one per job, keyed by job_id
// (DESIGN.md, "Contracts"). Status holds a Status value as a string.
type Record struct {
	JobID          string           `dynamodbav:"job_id"`
	Status         string           `dynamodbav:"status"`
	Model          string           `dynamodbav:"model,omitempty"`
	ModelVersion   string           `dynamodbav:"model_version,omitempty"`
	Input          string           `dynamodbav:"input,omitempty"` // s3://bucket/key or inline
	Output         map[string]any   `dynamodbav:"output,omitempty"`
	OutputURI      string           `dynamodbav:"output_uri,omitempty"`
	Error          *ErrorInfo       `dynamodbav:"error,omitempty"`
	Attempts       int              `dynamodbav:"attempts"`
	Timings        map[string]int64 `dynamodbav:"timings,omitempty"` // ms: fetch, infer, total, queue
	Metadata       map[string]any   `dynamodbav:"metadata,omitempty"`
	MessageID      string           `dynamodbav:"message_id,omitempty"`
	PayloadHash    string           `dynamodbav:"payload_hash,omitempty"`
	ClaimToken     string           `dynamodbav:"claim_token,omitempty"`
	LeaseExpiresAt int64            `dynamodbav:"lease_expires_at,omitempty"` // unix ms
	CreatedAt      string           `dynamodbav:"created_at,omitempty"`
	UpdatedAt      string           `dynamodbav:"updated_at,omitempty"`
	ExpiresAt      int64            `dynamodbav:"expires_at,omitempty"` // TTL, unix seconds
	NotifyPending  string           `dynamodbav:"notify_pending,omitempty"`
}

// TimeFormat is how created_at and updated_at are written: RFC 3339 in UTC
// with a fixed nine-digit fraction. time.RFC3339Nano trims trailing zeros,
// which breaks the lexical order the StatusIndex sort key relies on
// ("…05.1Z" would sort after "…05.12Z"); this form parses with
// time.RFC3339Nano all the same.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
