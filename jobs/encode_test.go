package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func TestInlineJobBodyRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		job  InlineJob
		want Job
	}{
		{"features", InlineJob{JobID: "iris-1", Model: "iris-rf", Features: json.RawMessage(`[5.1, 3.5, 1.4, 0.2]`)},
			Job{ID: "iris-1", Model: "iris-rf", Input: Input{Features: json.RawMessage(`{"features":[5.1,3.5,1.4,0.2]}`)}}},
		{"named features and metadata", InlineJob{Features: json.RawMessage(`{"a":1}`), Metadata: json.RawMessage(`{"customer":"acme"}`)},
			Job{ID: "msg-1", Input: Input{Features: json.RawMessage(`{"features":{"a":1}}`)}, Metadata: map[string]any{"customer": "acme"}}},
		{"s3 key as-is", InlineJob{S3: "s3://inbox/a b+c%20.png"},
			Job{ID: "msg-1", Input: Input{S3: &S3Object{Bucket: "inbox", Key: "a b+c%20.png"}}}},
		{"data", InlineJob{JobID: "d", Data: []byte{0, 1, 2, 0xff}},
			Job{ID: "d", Input: Input{Data: []byte{0, 1, 2, 0xff}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.job.Body()
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

func TestInlineJobBodyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		job    InlineJob
		code   Code
		substr string
	}{
		{"no input", InlineJob{JobID: "a"}, CodeMalformedJob, "exactly one"},
		{"two inputs", InlineJob{S3: "s3://inbox/k", Data: []byte("x")}, CodeMalformedJob, "has 2"},
		{"features not JSON", InlineJob{Features: json.RawMessage(`[1,`)}, CodeMalformedJob, "encode"},
		{"features scalar", InlineJob{Features: json.RawMessage(`5`)}, CodeInvalidFeatures, "array"},
		{"empty data", InlineJob{Data: []byte{}}, CodeEmptyInput, "empty"},
		{"reserved job id", InlineJob{JobID: "s3-x", S3: "s3://inbox/k"}, CodeMalformedJob, "reserved"},
		{"bad uri", InlineJob{S3: "https://inbox/k"}, CodeMalformedJob, "s3://"},
		{"metadata array", InlineJob{S3: "s3://inbox/k", Metadata: json.RawMessage(`[1]`)}, CodeMalformedJob, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.job.Body()
			mustErr(t, err, tt.code, tt.substr)
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
