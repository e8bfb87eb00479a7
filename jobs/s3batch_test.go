package jobs

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func s3BatchFile(t testing.TB, name string) []byte {
	return readFile(t, filepath.Join("testdata", "s3batch", name))
}

// aws-lambda-go's own samples, one per schema.
func TestS3BatchLambdaGoSamples(t *testing.T) {
	tests := []struct {
		file, schema, bucket, version string
		args                          map[string]any
	}{
		{"s3-batch-job-event-request-1.0.json", "1.0", "awsexamplebucket", "1", nil},
		{"s3-batch-job-event-request-2.0.json", "2.0", "awsexamplebucket", "jbo9_jhdPEyB4RrmOxWS0kU0EoNrU_oI", map[string]any{"k1": "v1", "k2": "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustDecode(t, s3BatchFile(t, tt.file), true, 1)
			want := S3BatchInfo{SchemaVersion: tt.schema, InvocationID: "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
				JobID: "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", UserArguments: tt.args}
			if inv.S3Batch == nil || !equalJSON(t, *inv.S3Batch, want) {
				t.Fatalf("got %+v, want %+v", inv.S3Batch, want)
			}
			m := inv.Messages[0]
			j := mustJobs(t, m, 1)[0]
			o := S3Object{Bucket: tt.bucket, Key: "customerImage1.jpg", VersionID: tt.version}
			if *j.Input.S3 != o || j.ID != ObjectJobID(o.Bucket, o.Key, o.VersionID, "") {
				t.Errorf("job %s %+v, want %+v", j.ID, *j.Input.S3, o)
			}
			var task map[string]any
			if m.MessageID != "dGFza2lkZ29lc2hlcmUK" || json.Unmarshal([]byte(m.Body), &task) != nil || task["taskId"] != m.MessageID {
				t.Errorf("message id %q body %q", m.MessageID, m.Body)
			}
		})
	}
}

// Each task decodes on its own: bad ones fail alone, in place.
func TestS3BatchTaskIsolation(t *testing.T) {
	inv := mustDecode(t, s3BatchFile(t, "mixed-2.0.json"), true, 8)
	if inv.S3Batch.UserArguments["priority"] != 3.0 {
		t.Fatalf("info %+v", inv.S3Batch)
	}
	ms := inv.Messages
	// The key is URL-decoded, "+" a space and "%2B" a plus.
	if o := objectsOf(t, mustJobs(t, ms[0], 1))[0]; o.Key != "scans/line 01+b.png" || o.VersionID != "v1" {
		t.Errorf("task 1 object %+v", o)
	}
	if o := objectsOf(t, mustJobs(t, ms[1], 1))[0]; o.VersionID != "" || ms[1].Jobs[0].ID != ObjectJobID("inbox", "scans/plain.png", "", "") {
		t.Errorf("task 2 (null version) %+v", o)
	}
	mustMsgErr(t, ms[2], CodeMalformedJob, "no taskId")
	mustMsgErr(t, ms[3], CodeMalformedJob, "not URL-encoded")
	mustMsgErr(t, ms[4], CodeMalformedJob, "bucket name")
	mustMsgErr(t, ms[5], CodeMalformedJob, "task 5")
	mustMsgErr(t, ms[6], CodeMalformedJob, "empty S3 object key")
	if o := objectsOf(t, mustJobs(t, ms[7], 1))[0]; o.Bucket != "legacy-bucket" {
		t.Errorf("task 8 (bucket ARN) %+v", o)
	}
	for i, m := range ms {
		if m.Err != nil && (m.BodyHash != BodyHash(m.Body) || m.ErrJobID == "") {
			t.Errorf("task %d: body hash %q, err job id %q", i, m.BodyHash, m.ErrJobID)
		}
	}
	if ms[3].MessageID != "t4" || ms[3].ErrJobID != "t4" {
		t.Errorf("a bad task keeps its id: %q %q", ms[3].MessageID, ms[3].ErrJobID)
	}
}

func TestS3BatchEventRejects(t *testing.T) {
	tests := []struct{ name, event, substr string }{
		{"unknown schema", `{"invocationSchemaVersion":"3.0","invocationId":"i","job":{"id":"j"},"tasks":[]}`, `"3.0"`},
		{"no schema", `{"invocationId":"i","job":{"id":"j"},"tasks":[]}`, `invocationSchemaVersion ""`},
		{"no invocation id", `{"invocationSchemaVersion":"2.0","job":{"id":"j"},"tasks":[]}`, "invocationId"},
		{"no tasks", `{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"}}`, "tasks"},
		{"tasks not an array", `{"invocationSchemaVersion":"2.0","invocationId":"i","tasks":{}}`, "S3 Batch Operations event"},
		{"bad bucket ARN", `{"invocationSchemaVersion":"1.0","invocationId":"i","tasks":[{"taskId":"t","s3Key":"k","s3BucketArn":"arn:aws:sqs:::q"}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := DecodeInvocation([]byte(tt.event))
			if tt.substr == "" { // a task-level failure, not the event's
				if err != nil || len(inv.Messages) != 1 {
					t.Fatalf("got %v, %+v", err, inv)
				}
				mustMsgErr(t, inv.Messages[0], CodeMalformedJob, "not a bucket ARN")
				return
			}
			mustErr(t, err, CodeMalformedJob, tt.substr)
		})
	}
}

func TestS3BatchResponseRoundTrip(t *testing.T) {
	info := &S3BatchInfo{SchemaVersion: "1.0", InvocationID: "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"}
	resp := S3BatchResponse(info, []S3BatchResult{{TaskID: "dGFza2lkZ29lc2hlcmUK", Code: S3BatchSucceeded, ResultString: `["Mary Major", "John Stiles"]`}})
	// Our response is aws-lambda-go's sample response, field for field.
	var want, got any
	b, _ := json.Marshal(resp)
	if json.Unmarshal(s3BatchFile(t, "s3-batch-job-event-response.json"), &want) != nil || json.Unmarshal(b, &got) != nil || !equalJSON(t, got, want) {
		t.Errorf("response %s\nwant %s", b, s3BatchFile(t, "s3-batch-job-event-response.json"))
	}
	var back events.S3BatchJobResponse
	if err := json.Unmarshal(b, &back); err != nil || !equalJSON(t, back, resp) {
		t.Errorf("round trip %+v, %v", back, err)
	}
	// Every code, and schema 2.0 echoed.
	resp = S3BatchResponse(&S3BatchInfo{SchemaVersion: "2.0", InvocationID: "i"}, []S3BatchResult{
		{"a", S3BatchSucceeded, ""}, {"b", S3BatchTemporaryFailure, "throttled"}, {"c", S3BatchPermanentFailure, "malformed_job: x"},
	})
	b, _ = json.Marshal(resp)
	for _, s := range []string{`"invocationSchemaVersion":"2.0"`, `"treatMissingKeysAs":"PermanentFailure"`, `"TemporaryFailure"`, `"resultString":"malformed_job: x"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("response %s lacks %s", b, s)
		}
	}
}
