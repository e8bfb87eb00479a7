package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// TestInlineJobBody: a job the submit side builds either encodes to a
// body the worker decodes back to the same job, or is refused with its
// code before it is sent.
func TestInlineJobBody(t *testing.T) {
	tests := []struct {
		name   string
		job    InlineJob
		want   Job    // what the body decodes to, when code is empty
		code   Code   // else the code Body refuses the job with,
		substr string // and words of its message
	}{
		{name: "features", job: InlineJob{JobID: "iris-1", Model: "iris-rf", Features: json.RawMessage(`[5.1, 3.5, 1.4, 0.2]`)},
			want: Job{ID: "iris-1", Model: "iris-rf", Input: Input{Features: json.RawMessage(`{"features":[5.1,3.5,1.4,0.2]}`)}}},
		{name: "named features and metadata", job: InlineJob{Features: json.RawMessage(`{"a":1}`), Metadata: json.RawMessage(`{"customer":"acme"}`)},
			want: Job{ID: "msg-1", Input: Input{Features: json.RawMessage(`{"features":{"a":1}}`)}, Metadata: map[string]any{"customer": "acme"}}},
		{name: "s3 key as-is", job: InlineJob{S3: "s3://inbox/a b+c%20.png"},
			want: Job{ID: "msg-1", Input: Input{S3: &S3Object{Bucket: "inbox", Key: "a b+c%20.png"}}}},
		{name: "data", job: InlineJob{JobID: "d", Data: []byte{0, 1, 2, 0xff}},
			want: Job{ID: "d", Input: Input{Data: []byte{0, 1, 2, 0xff}}}},
		{name: "no input", job: InlineJob{JobID: "a"}, code: CodeMalformedJob, substr: "exactly one"},
		{name: "two inputs", job: InlineJob{S3: "s3://inbox/k", Data: []byte("x")}, code: CodeMalformedJob, substr: "has 2"},
		{name: "features not JSON", job: InlineJob{Features: json.RawMessage(`[1,`)}, code: CodeMalformedJob, substr: "encode"},
		{name: "features scalar", job: InlineJob{Features: json.RawMessage(`5`)}, code: CodeInvalidFeatures, substr: "array"},
		{name: "empty data", job: InlineJob{Data: []byte{}}, code: CodeEmptyInput, substr: "empty"},
		{name: "reserved job id", job: InlineJob{JobID: "s3-x", S3: "s3://inbox/k"}, code: CodeMalformedJob, substr: "reserved"},
		{name: "bad uri", job: InlineJob{S3: "https://inbox/k"}, code: CodeMalformedJob, substr: "s3://"},
		{name: "metadata array", job: InlineJob{S3: "s3://inbox/k", Metadata: json.RawMessage(`[1]`)}, code: CodeMalformedJob, substr: "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.job.Body()
			if tt.code != "" {
				mustErr(t, err, tt.code, tt.substr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := mustJobs(t, decode(body), 1)[0]
			got.PayloadHash = ""
			if !equalJSON(t, got, tt.want) {
				t.Errorf("body %s decoded to %+v, want %+v", body, got, tt.want)
			}
		})
	}
}

func TestBodyHashOfFailedBodies(t *testing.T) {
	sum := sha256.Sum256([]byte("not json"))
	if BodyHash("not json") != hex.EncodeToString(sum[:]) {
		t.Fatal("BodyHash is not the hex sha256")
	}
	if m := decode("not json"); m.BodyHash != BodyHash("not json") {
		t.Errorf("failed message body hash %q", m.BodyHash)
	}
	if m := decode(`{"input":{"features":[1]}}`); m.BodyHash != "" {
		t.Errorf("a good message has body hash %q", m.BodyHash)
	}
	inv, err := DecodeInvocation([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"m","body":1}]}`))
	if err != nil || inv.Messages[0].BodyHash != BodyHash(inv.Messages[0].Body) || inv.Messages[0].Err == nil {
		t.Errorf("record-level failure: %v %+v", err, inv)
	}
	if m := DecodeMessage(sqsRecord("", "x")); m.ErrJobID != MalformedJobPrefix+m.BodyHash[:32] {
		t.Errorf("ErrJobID %q without a message id", m.ErrJobID)
	}
}
