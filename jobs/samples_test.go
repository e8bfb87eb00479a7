package jobs

import (
	"encoding/json"
	"testing"
	"time"
)

// The real event samples shipped with aws-lambda-go.

func TestLambdaGoSQSSample(t *testing.T) {
	inv := mustDecode(t, sample(t, "sqs-event.json"), false, 1)
	m := inv.Messages[0]
	if m.MessageID != "MessageID_1" || m.ReceiveCount != 2 || !m.SentAt.Equal(time.UnixMilli(1520621625029)) {
		t.Errorf("got id=%q receives=%d sent=%v", m.MessageID, m.ReceiveCount, m.SentAt)
	}
	if m.Body != "Message Body" || m.Delivered.ReceiptHandle != "MessageReceiptHandle" {
		t.Errorf("body/record not kept: %q %q", m.Body, m.Delivered.ReceiptHandle)
	}
	// "Message Body" is no job: permanent, and the message is still there.
	mustMsgErr(t, m, CodeMalformedJob, "not a JSON object")
}

func TestLambdaGoS3Samples(t *testing.T) {
	want := S3Object{Bucket: "sourcebucket", Key: "Happy Face.jpg", VersionID: "version", ETag: "d41d8cd98f00b204e9800998ecf8427e", Size: 1024}
	for _, name := range []string{"s3-event.json", "s3-event-with-decoded.json"} {
		t.Run(name, func(t *testing.T) {
			b := sample(t, name)
			inv := mustDecode(t, b, true, 1)
			if inv.Messages[0].MessageID != "" {
				t.Fatalf("want one direct pseudo-message, got %+v", inv)
			}
			j := mustJobs(t, inv.Messages[0], 1)[0]
			if *j.Input.S3 != want {
				t.Errorf("object %+v, want %+v", *j.Input.S3, want)
			}
			if j.ID != ObjectJobID(want.Bucket, want.Key, want.VersionID, want.ETag) || j.Input.String() != "s3://sourcebucket/Happy Face.jpg" {
				t.Errorf("id %q input %q", j.ID, j.Input)
			}
			// The pseudo-message's body is the record itself.
			var rec map[string]any
			if err := json.Unmarshal([]byte(inv.Messages[0].Body), &rec); err != nil || rec["eventSource"] != "aws:s3" {
				t.Errorf("body is not the S3 record: %v %v", rec, err)
			}
			// The same event sent to SQS as a notification: the same job.
			sj := mustJobs(t, decode(string(b)), 1)[0]
			if sj.ID != j.ID || sj.PayloadHash != j.PayloadHash {
				t.Errorf("SQS-delivered job %s/%s differs from direct %s/%s", sj.ID, sj.PayloadHash, j.ID, j.PayloadHash)
			}
		})
	}
}

func TestLambdaGoS3NonCreateSamplesIgnored(t *testing.T) {
	for name, event := range map[string]string{
		"s3-glacier-event.json":         "ObjectRestore:Completed",
		"s3-restore-event.json":         "ObjectRestore:Completed",
		"s3-lifecycle-event.json":       "LifecycleTransition",
		"s3-replication-event.json":     "Replication:OperationFailedReplication",
		"s3-intelligenttier-event.json": "IntelligentTiering:TransitionAccess",
	} {
		t.Run(name, func(t *testing.T) {
			b := sample(t, name)
			inv := mustDecode(t, b, true, 1)
			mustIgnored(t, inv.Messages[0], event)
			mustIgnored(t, decode(string(b)), event)
		})
	}
}

func TestLambdaGoSNSSample(t *testing.T) {
	b := sample(t, "sns-event.json")
	// A direct SNS invoke is not an accepted event.
	_, err := DecodeInvocation(b)
	mustErr(t, err, CodeMalformedJob, `"aws:sns"`)

	// Its envelope, delivered to SQS, holds "Hello from SNS!": no job.
	var ev struct {
		Records []struct{ Sns map[string]any }
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	env := ev.Records[0].Sns
	mustMsgErr(t, decode(mustJSON(t, env)), CodeMalformedJob, "95df01b4-ee98-5cb9-9903-4c221d41eb5e")

	// The same envelope holding the S3 sample: the S3 sample's job.
	env["Message"] = string(sample(t, "s3-event.json"))
	j := mustJobs(t, decode(mustJSON(t, env)), 1)[0]
	if j.ID != ObjectJobID("sourcebucket", "Happy Face.jpg", "version", "") {
		t.Errorf("SNS-wrapped S3 event gave id %s", j.ID)
	}
}

func TestLambdaGoOtherSamplesRejected(t *testing.T) {
	for _, name := range []string{"kinesis-event.json", "dynamodb-event.json", "apigw-request.json", "cloudwatch-logs-event.json"} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeInvocation(sample(t, name))
			mustErr(t, err, CodeMalformedJob, "accepted")
		})
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
