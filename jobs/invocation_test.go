package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// Every record of our mixed SQS batch decodes on its own: the bad ones fail
// alone, in place, and their neighbours keep their jobs.
func TestDecodeInvocationSQSBatchIsolation(t *testing.T) {
	inv := mustDecode(t, readFile(t, "testdata/events/sqs-batch.json"), false, 8)
	msgs := inv.Messages
	if msgs[0].Jobs[0].ID != "iris-0001" || msgs[7].Jobs[0].ID != msgs[7].MessageID {
		t.Errorf("inline ids %q %q", msgs[0].Jobs[0].ID, msgs[7].Jobs[0].ID)
	}
	mustMsgErr(t, msgs[1], CodeMalformedJob, "not a JSON object")
	mustJobs(t, msgs[2], 1)
	mustIgnored(t, msgs[3], "s3:TestEvent")
	mustJobs(t, msgs[4], 1)
	mustMsgErr(t, msgs[5], CodeMalformedJob, "s3://")
	mustJobs(t, msgs[6], 1)
	if msgs[2].ReceiveCount != 3 || msgs[2].SentAt.UnixMilli() != 1710408413591 {
		t.Errorf("attributes: receives %d sent %v", msgs[2].ReceiveCount, msgs[2].SentAt)
	}
	for i, m := range msgs {
		if m.MessageID == "" || m.Body != m.Delivered.Body || m.Delivered.ReceiptHandle == "" {
			t.Errorf("message %d lost its record: %+v", i, m)
		}
	}
}

func TestDecodeInvocationDirectS3Isolation(t *testing.T) {
	inv := mustDecode(t, readFile(t, "testdata/events/s3-direct.json"), true, 4)
	a := objectsOf(t, mustJobs(t, inv.Messages[0], 1))[0]
	mustMsgErr(t, inv.Messages[1], CodeMalformedJob, "not URL-encoded")
	c := objectsOf(t, mustJobs(t, inv.Messages[2], 1))[0]
	mustIgnored(t, inv.Messages[3], "ObjectRemoved:Delete")
	if a.Key != "lines/line-0001.png" || c.Key != "lines/line 0003.png" {
		t.Errorf("keys %q %q", a.Key, c.Key)
	}
	for i, m := range inv.Messages {
		if m.MessageID != "" || m.Delivered.EventSource != "aws:s3" || !json.Valid([]byte(m.Body)) {
			t.Errorf("pseudo-message %d: id %q source %q", i, m.MessageID, m.Delivered.EventSource)
		}
	}
}

func TestDecodeInvocationRecordLevelFailures(t *testing.T) {
	good := `{"messageId":"m1","eventSource":"aws:sqs","body":"{\"input\":{\"features\":[1]}}"}`
	tests := []struct {
		name, bad, substr string
	}{
		{"body not a string", `{"messageId":"m2","eventSource":"aws:sqs","body":{"input":1}}`, "SQS record 1"},
		{"foreign source", `{"messageId":"m2","eventSource":"aws:kinesis"}`, `"aws:kinesis"`},
		{"not an object", `"just a string"`, "eventSource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := mustDecode(t, []byte(`{"Records":[`+good+`,`+tt.bad+`,`+good+`]}`), false, 3)
			mustJobs(t, inv.Messages[0], 1)
			mustMsgErr(t, inv.Messages[1], CodeMalformedJob, tt.substr)
			mustJobs(t, inv.Messages[2], 1)
		})
	}
}

func TestDecodeInvocationRejects(t *testing.T) {
	for name, payload := range map[string]string{
		"not json":        `nope`,
		"no records":      `{"detail-type":"Scheduled Event"}`,
		"records object":  `{"Records":{}}`,
		"sns invoke":      `{"Records":[{"EventSource":"aws:sns","Sns":{}}]}`,
		"no event source": `{"Records":[{"body":"x"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			inv, err := DecodeInvocation([]byte(payload))
			if inv != nil {
				t.Errorf("got an invocation %+v", inv)
			}
			mustErr(t, err, CodeMalformedJob, "accepted")
			if !IsPermanent(err) {
				t.Errorf("%v is not permanent", err)
			}
		})
	}
	inv, err := DecodeInvocation([]byte(`{"Records":[]}`))
	if err != nil || len(inv.Messages) != 0 {
		t.Errorf("empty event: %+v %v", inv, err)
	}
}

func BenchmarkDecodeInvocation(b *testing.B) {
	payload := readFile(b, "testdata/events/sqs-batch.json")
	for b.Loop() {
		if _, err := DecodeInvocation(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func TestErrJobID(t *testing.T) {
	bodyHash := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		return MalformedJobPrefix + hex.EncodeToString(sum[:])[:32]
	}
	tests := []struct {
		name, msgID, body, want string
	}{
		{"body's own job_id", "m-1", `{"job_id":"user-7","input":{"data_base64":"!!"}}`, "user-7"},
		{"invalid job_id: message id", "m-1", `{"job_id":"s3-x","input":{"features":[1]}}`, "m-1"},
		{"no job_id: message id", "m-1", `not json`, "m-1"},
		{"nothing: body hash", "", `not json`, bodyHash(`not json`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DecodeMessage(sqsRecord(tt.msgID, tt.body))
			if m.Err == nil || m.ErrJobID != tt.want {
				t.Errorf("err %v, ErrJobID %q, want %q", m.Err, m.ErrJobID, tt.want)
			}
		})
	}
	// A bad record of a direct S3 invoke has no message id.
	inv := mustDecode(t, readFile(t, "testdata/events/s3-direct.json"), true, 4)
	if m := inv.Messages[1]; m.ErrJobID != bodyHash(m.Body) {
		t.Errorf("direct S3 failure id %q", m.ErrJobID)
	}
	// A good message has none.
	if m := inv.Messages[0]; m.ErrJobID != "" {
		t.Errorf("ErrJobID %q on a good message", m.ErrJobID)
	}
}
