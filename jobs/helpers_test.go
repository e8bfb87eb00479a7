package jobs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sample reads one of aws-lambda-go's event samples.
func sample(t testing.TB, name string) []byte { return testenv.LambdaSample(t, name) }

// bodyFile reads one of our message body samples.
func bodyFile(t testing.TB, name string) string {
	return string(readFile(t, filepath.Join("testdata", "bodies", name)))
}

// sqsRecord wraps a body in an SQS record as Lambda delivers it.
func sqsRecord(id, body string) events.SQSMessage {
	return events.SQSMessage{
		MessageId:   id,
		Body:        body,
		EventSource: "aws:sqs",
		Attributes:  map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1710408413589"},
	}
}

// decode decodes body as the body of SQS message "msg-1".
func decode(body string) Message { return DecodeMessage(sqsRecord("msg-1", body)) }

// mustDecode decodes an invocation that must decode as a whole into n
// messages, direct (an S3 or S3 Batch Operations invoke) or not (SQS
// records); each message may still fail on its own.
func mustDecode(t testing.TB, payload []byte, direct bool, n int) *Invocation {
	t.Helper()
	inv, err := DecodeInvocation(payload)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Direct != direct || len(inv.Messages) != n {
		t.Fatalf("direct=%v with %d messages, want direct=%v with %d", inv.Direct, len(inv.Messages), direct, n)
	}
	return inv
}

// mustJobs fails unless m decoded into exactly n jobs.
func mustJobs(t testing.TB, m Message, n int) []Job {
	t.Helper()
	if m.Err != nil || m.Ignored || len(m.Jobs) != n {
		t.Fatalf("want %d jobs, got %d (ignored=%v %q, err=%v)", n, len(m.Jobs), m.Ignored, m.IgnoredReason, m.Err)
	}
	return m.Jobs
}

// mustIgnored fails unless m is ignored with a reason containing substr.
func mustIgnored(t testing.TB, m Message, substr string) {
	t.Helper()
	if !m.Ignored || m.Err != nil || len(m.Jobs) != 0 {
		t.Fatalf("want ignored, got %d jobs, ignored=%v, err=%v", len(m.Jobs), m.Ignored, m.Err)
	}
	if !strings.Contains(m.IgnoredReason, substr) {
		t.Fatalf("ignored reason %q does not mention %q", m.IgnoredReason, substr)
	}
}

// mustErr fails unless err is a *Error with code whose text contains substr.
func mustErr(t testing.TB, err error, code Code, substr string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *Error %s, got %v", code, err)
	}
	if e.Code != code || !strings.Contains(err.Error(), substr) {
		t.Fatalf("want %s mentioning %q, got %v", code, substr, err)
	}
}

// mustMsgErr fails unless m failed with code, mentioning substr.
func mustMsgErr(t testing.TB, m Message, code Code, substr string) {
	t.Helper()
	if len(m.Jobs) != 0 || m.Ignored {
		t.Fatalf("want error %s, got %d jobs, ignored=%v", code, len(m.Jobs), m.Ignored)
	}
	mustErr(t, m.Err, code, substr)
}

// quote returns s as a JSON string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// equalJSON compares two values by their JSON encodings.
func equalJSON(t testing.TB, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
