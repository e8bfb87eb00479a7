package jobs

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// S3BatchInfo is what an S3 Batch Operations invoke says about itself; the
// response (S3BatchResponse) must echo it.
type S3BatchInfo struct {
	SchemaVersion string         // invocationSchemaVersion: "1.0" or "2.0"
	InvocationID  string         // invocationId
	JobID         string         // job.id: the Batch Operations job
	UserArguments map[string]any // job.userArguments (schema 2.0 only; nil when absent)
}

// S3 Batch Operations invocation schema versions we decode.
const (
	S3BatchSchema1 = "1.0" // tasks name their bucket by s3BucketArn
	S3BatchSchema2 = "2.0" // tasks name their bucket by s3Bucket; the job may carry userArguments
)

// s3BatchEvent is an S3 Batch Operations "Invoke AWS Lambda function" event.
// Tasks stay raw so that one bad task fails alone.
type s3BatchEvent struct {
	InvocationSchemaVersion string `json:"invocationSchemaVersion"`
	InvocationID            string `json:"invocationId"`
	Job                     struct {
		ID            string         `json:"id"`
		UserArguments map[string]any `json:"userArguments"`
	} `json:"job"`
	Tasks []json.RawMessage `json:"tasks"`
}

// s3BatchTask is one task of either schema. s3VersionId is a pointer since
// Batch Operations sends null for an unversioned object.
type s3BatchTask struct {
	TaskID      string  `json:"taskId"`
	S3Key       string  `json:"s3Key"`
	S3VersionID *string `json:"s3VersionId"`
	S3Bucket    string  `json:"s3Bucket"`    // schema 2.0
	S3BucketArn string  `json:"s3BucketArn"` // schema 1.0
}

// decodeS3Batch decodes an S3 Batch Operations event: one Message per task,
// MessageID the taskId. Only an event that is not one as a whole (no
// invocationId, an unknown schema, tasks not an array) is an error.
func decodeS3Batch(payload []byte) (*Invocation, error) {
	var ev s3BatchEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, Wrap(CodeMalformedJob, err, "S3 Batch Operations event")
	}
	switch {
	case ev.InvocationSchemaVersion != S3BatchSchema1 && ev.InvocationSchemaVersion != S3BatchSchema2:
		return nil, Errorf(CodeMalformedJob, "S3 Batch Operations event of invocationSchemaVersion %q: accepted are %q and %q",
			truncate(ev.InvocationSchemaVersion), S3BatchSchema1, S3BatchSchema2)
	case ev.InvocationID == "":
		return nil, Errorf(CodeMalformedJob, "S3 Batch Operations event has no invocationId")
	case ev.Tasks == nil:
		return nil, Errorf(CodeMalformedJob, `S3 Batch Operations event has no "tasks"`)
	}
	inv := &Invocation{
		Direct:   true,
		Messages: make([]Message, 0, len(ev.Tasks)),
		S3Batch: &S3BatchInfo{
			SchemaVersion: ev.InvocationSchemaVersion,
			InvocationID:  ev.InvocationID,
			JobID:         ev.Job.ID,
			UserArguments: ev.Job.UserArguments,
		},
	}
	for i, raw := range ev.Tasks {
		inv.Messages = append(inv.Messages, s3BatchMessage(i, raw))
	}
	return inv, nil
}

// s3BatchMessage makes the Message of task i.
func s3BatchMessage(i int, raw json.RawMessage) Message {
	var t s3BatchTask
	err := json.Unmarshal(raw, &t)
	m := Message{MessageID: t.TaskID, Body: string(raw)}
	m.Delivered = events.SQSMessage{MessageId: t.TaskID, Body: m.Body}
	if err != nil {
		m.setResult(nil, "", Wrap(CodeMalformedJob, err, "S3 Batch Operations task %d", i))
		return m
	}
	j, err := s3BatchJob(t)
	if err != nil {
		m.setResult(nil, "", prefixErr(err, "S3 Batch Operations task %d (%s)", i, truncate(t.TaskID)))
		return m
	}
	m.setResult([]Job{j}, "", nil)
	return m
}

// s3BatchJob makes the object job of one task.
func s3BatchJob(t s3BatchTask) (Job, error) {
	if t.TaskID == "" {
		return Job{}, Errorf(CodeMalformedJob, "task has no taskId")
	}
	bucket := t.S3Bucket
	if bucket == "" {
		b, err := bucketFromARN(t.S3BucketArn)
		if err != nil {
			return Job{}, err
		}
		bucket = b
	}
	// Batch Operations passes the key as the manifest holds it: URL-encoded,
	// as in S3's notifications ("+" a space, "%2B" a plus), in both schemas.
	key, err := url.QueryUnescape(t.S3Key)
	if err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "s3Key %q is not URL-encoded", truncate(t.S3Key))
	}
	o := S3Object{Bucket: bucket, Key: key}
	if t.S3VersionID != nil {
		o.VersionID = *t.S3VersionID
	}
	return objectJob(o)
}

// bucketFromARN takes the bucket from "arn:aws:s3:::bucket" (region and
// account are empty in real events, filled in some samples).
func bucketFromARN(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "s3" || parts[5] == "" || strings.Contains(parts[5], "/") {
		if arn == "" {
			return "", Errorf(CodeMalformedJob, "task has neither s3Bucket nor s3BucketArn")
		}
		return "", Errorf(CodeMalformedJob, "s3BucketArn %q is not a bucket ARN (arn:aws:s3:::bucket)", truncate(arn))
	}
	return parts[5], nil
}

// S3BatchResultCode is a task's result as Batch Operations takes it.
type S3BatchResultCode string

// The result codes: S3 Batch Operations retries TemporaryFailure tasks and
// counts PermanentFailure towards the job's failure threshold.
const (
	S3BatchSucceeded        S3BatchResultCode = "Succeeded"
	S3BatchTemporaryFailure S3BatchResultCode = "TemporaryFailure"
	S3BatchPermanentFailure S3BatchResultCode = "PermanentFailure"
)

// S3BatchResult is the outcome of one task.
type S3BatchResult struct {
	TaskID       string
	Code         S3BatchResultCode
	ResultString string // shown in the job's completion report
}

// S3BatchResponse is the function's answer to an S3 Batch Operations invoke:
// the invocation's schema version and id echoed, one result per task. A
// task left out counts as PermanentFailure (treatMissingKeysAs), so a task
// forgotten by a bug is reported rather than silently passed.
func S3BatchResponse(info *S3BatchInfo, results []S3BatchResult) events.S3BatchJobResponse {
	resp := events.S3BatchJobResponse{
		TreatMissingKeysAs: string(S3BatchPermanentFailure),
		Results:            make([]events.S3BatchJobResult, 0, len(results)),
	}
	if info != nil {
		resp.InvocationSchemaVersion = info.SchemaVersion
		resp.InvocationID = info.InvocationID
	}
	for _, r := range results {
		resp.Results = append(resp.Results, events.S3BatchJobResult{
			TaskID: r.TaskID, ResultCode: string(r.Code), ResultString: r.ResultString,
		})
	}
	return resp
}
