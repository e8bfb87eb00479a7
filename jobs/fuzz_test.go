package jobs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf8"
)

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FuzzDecodeMessage checks that any body decodes without panicking into
// exactly one of: jobs that are well formed, ignored, or a permanent *Error.
func FuzzDecodeMessage(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bodies/*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, name := range []string{"s3-event.json", "s3-glacier-event.json", "sqs-event.json"} {
		f.Add(string(sample(f, name)))
	}
	for _, s := range []string{``, `{}`, `null`, `{"input":{"features":[1]}}`, `{"Records":[]}`,
		`{"input":{"text":"caf\u00e9","text_pair":"x"},"entity":{"id":"c-1"}}`, "{\"input\":{\"text\":\"a\xffb\"}}",
		`{"input":{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[[1,"NaN"]]}]}}`,
		`{"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkMessage(t, DecodeMessage(sqsRecord("fuzz-1", body)))
	})
}

// FuzzDecodeInvocation checks the same of whole Lambda events.
func FuzzDecodeInvocation(f *testing.F) {
	for _, p := range []string{"testdata/events/sqs-batch.json", "testdata/events/s3-direct.json"} {
		f.Add(readFile(f, p))
	}
	f.Add(sample(f, "sqs-event.json"))
	f.Add(sample(f, "sns-event.json"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		inv, err := DecodeInvocation(payload)
		if err != nil {
			var e *Error
			if inv != nil || !errors.As(err, &e) || !IsPermanent(err) {
				t.Fatalf("invocation error %v (inv %v) is not a permanent *Error alone", err, inv)
			}
			return
		}
		for _, m := range inv.Messages {
			checkMessage(t, m)
		}
	})
}

func checkMessage(t *testing.T, m Message) {
	t.Helper()
	outcomes := 0
	if m.Err != nil {
		outcomes++
		var e *Error
		if !errors.As(m.Err, &e) || e != m.Err || !IsPermanent(m.Err) {
			t.Fatalf("Err %v is not a permanent *Error", m.Err)
		}
		if m.ErrJobID == "" {
			t.Fatalf("Err %v without an ErrJobID", m.Err)
		}
	}
	if m.Ignored {
		outcomes++
		if m.IgnoredReason == "" {
			t.Fatalf("ignored without a reason")
		}
	}
	if len(m.Jobs) > 0 {
		outcomes++
	}
	if m.Reprocess != nil {
		outcomes++
		if r := m.Reprocess; (r.Window > 0) == !r.SinceTime.IsZero() || (r.Status != ReprocessFailed && r.Status != ReprocessSucceeded) || r.Limit < 0 {
			t.Fatalf("bad reprocess request %+v", r)
		}
	}
	if m.Err == nil && m.ErrJobID != "" {
		t.Fatalf("ErrJobID %q without Err", m.ErrJobID)
	}
	if outcomes != 1 {
		t.Fatalf("want exactly one outcome, got err=%v ignored=%v jobs=%d reprocess=%v", m.Err, m.Ignored, len(m.Jobs), m.Reprocess)
	}
	for _, j := range m.Jobs {
		kinds := 0
		if j.Input.S3 != nil {
			kinds++
			if j.Input.S3.Bucket == "" || j.Input.S3.Key == "" {
				t.Fatalf("job %s: empty bucket or key", j.ID)
			}
		}
		if j.Input.Features != nil {
			kinds++
			if !json.Valid(j.Input.Features) {
				t.Fatalf("job %s: invalid features JSON %q", j.ID, j.Input.Features)
			}
		}
		if j.Input.Data != nil {
			kinds++
		}
		if j.Input.Text != nil {
			kinds++
			if !utf8.ValidString(j.Input.Text.Text) || (j.Input.Text.Pair != nil && !utf8.ValidString(*j.Input.Text.Pair)) {
				t.Fatalf("job %s: text that is not UTF-8", j.ID)
			}
		}
		if j.Input.Tensors != nil {
			kinds++
			for _, ts := range j.Input.Tensors {
				if int64(dataLen(ts.Data)) != elementCount(ts.Shape) {
					t.Fatalf("job %s: tensor %q data does not fill shape %v", j.ID, ts.Name, ts.Shape)
				}
			}
		}
		if kinds != 1 || j.ID == "" || !hexHash.MatchString(j.PayloadHash) {
			t.Fatalf("bad job %+v", j)
		}
	}
}
