package store

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/batchinfer/batchinfer/jobs"
)

// Status is a job's state in the results table.
type Status string

// The three states of a job item. IN_PROGRESS is a claim with a lease (or a
// reset job waiting for its next delivery); SUCCEEDED and FAILED are final.
const (
	StatusInProgress Status = "IN_PROGRESS"
	StatusSucceeded  Status = "SUCCEEDED"
	StatusFailed     Status = "FAILED"
)

// Final reports whether s is an outcome no later delivery may change.
func (s Status) Final() bool { return s == StatusSucceeded || s == StatusFailed }

// ErrorInfo is the `error` map of a FAILED item.
type ErrorInfo struct {
	Code    jobs.Code `dynamodbav:"code"`
	Message string    `dynamodbav:"message"`
}

// MaxInlineOutputBytes is the largest output (as JSON) stored whole on the
// item; a larger one goes to S3 and the item keeps a summary. It keeps
// items small (DynamoDB bills writes per KB) and spares the PUT for the
// outputs most jobs have.
const MaxInlineOutputBytes = 4096

// Record is one item of the results table, one per job, keyed by job_id
// (DESIGN.md, "Contracts").
type Record struct {
	JobID  string `dynamodbav:"job_id"`
	Status Status `dynamodbav:"status"`
	// StatusShard is the status index's key (statusindex.go), written
	// with every change of status.
	StatusShard  string `dynamodbav:"status_shard,omitempty"`
	Model        string `dynamodbav:"model,omitempty"`
	ModelVersion string `dynamodbav:"model_version,omitempty"`
	Input        string `dynamodbav:"input,omitempty"` // s3://bucket/key or inline
	// Output is the whole output when its JSON fits MaxInlineOutputBytes,
	// else a summary of it (then OutputURI names the whole output in S3).
	Output    map[string]any `dynamodbav:"output,omitempty"`
	OutputURI string         `dynamodbav:"output_uri,omitempty"`
	Error     *ErrorInfo     `dynamodbav:"error,omitempty"`
	Attempts  int            `dynamodbav:"attempts"`
	// Timings are milliseconds: queue (sent to start of work), fetch,
	// infer, store, total.
	Timings        map[string]int64 `dynamodbav:"timings,omitempty"`
	Metadata       map[string]any   `dynamodbav:"metadata,omitempty"`
	MessageID      string           `dynamodbav:"message_id,omitempty"`
	PayloadHash    string           `dynamodbav:"payload_hash,omitempty"`
	ClaimToken     string           `dynamodbav:"claim_token,omitempty"`
	LeaseExpiresAt int64            `dynamodbav:"lease_expires_at,omitempty"` // unix ms
	// ResetAt (unix ms) is set by Reset: a delivery whose work began before
	// it must not write its outcome (see Results.Put).
	ResetAt int64 `dynamodbav:"reset_at,omitempty"`
	// Progress is a record file's state while it runs (see Progress).
	Progress  *Progress `dynamodbav:"progress,omitempty"`
	CreatedAt string    `dynamodbav:"created_at,omitempty"`
	UpdatedAt string    `dynamodbav:"updated_at,omitempty"`
	ExpiresAt int64     `dynamodbav:"expires_at,omitempty"` // TTL, unix seconds
	// NotifyPending is the notification_id of a completion event whose
	// publish failed: the next delivery publishes it (worker/notify.go).
	NotifyPending string `dynamodbav:"notify_pending,omitempty"`
	// ReusedFrom names the job whose run produced the output, when the
	// output was reused (store/reuse.go): on a job's item, the job answered
	// without inference; on a reuse entry, the producing job.
	ReusedFrom string `dynamodbav:"reused_from,omitempty"`
}

// Progress is what a record file has committed: everything before Offset
// of the (decompressed) file has its output lines in the uploaded Parts.
type Progress struct {
	Offset    int64            `dynamodbav:"offset"`
	Records   int64            `dynamodbav:"records"`
	Succeeded int64            `dynamodbav:"succeeded"`
	Failed    int64            `dynamodbav:"failed"`
	Errors    map[string]int64 `dynamodbav:"errors,omitempty"`
	Header    []string         `dynamodbav:"header,omitempty"` // CSV header, to resume mid-file
	UploadID  string           `dynamodbav:"upload_id,omitempty"`
	Key       string           `dynamodbav:"key,omitempty"` // the output object's key
	Parts     []Part           `dynamodbav:"parts,omitempty"`
	// Carry is the key of an object holding the lines after the last part
	// (up to Offset): an invocation that ended with less than a part's worth
	// of new lines saves them there, so a file whose invocations each yield
	// less than a part still moves on.
	Carry string `dynamodbav:"carry,omitempty"`
	// Assembled is set once the multipart upload is completed: only the
	// item's final write is left.
	Assembled bool `dynamodbav:"assembled,omitempty"`
}

// Part is one uploaded part of a record file's output.
type Part struct {
	Number int32  `dynamodbav:"n"`
	ETag   string `dynamodbav:"etag"`
}

// JSON returns the item as it is stored (snake_case attribute names),
// ready to print; the claim token, a secret of the attempt that holds the
// job, is left out.
func (r *Record) JSON() (map[string]any, error) {
	av, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", r.JobID, err)
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(av, &m); err != nil {
		return nil, fmt.Errorf("encode job %s: %w", r.JobID, err)
	}
	delete(m, "claim_token")
	return m, nil
}

// TimeFormat is how created_at and updated_at are written: RFC 3339 in UTC
// with a fixed nine-digit fraction. time.RFC3339Nano trims trailing zeros,
// which breaks the lexical order the StatusIndex sort key relies on
// ("…05.1Z" would sort after "…05.12Z"); this form parses with
// time.RFC3339Nano all the same.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// FormatTime writes t as created_at and updated_at are written.
func FormatTime(t time.Time) string { return formatTime(t) }
