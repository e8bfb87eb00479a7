package jobs

import (
	"strings"
	"testing"
)

func TestInlineRejects(t *testing.T) {
	long := strings.Repeat("x", MaxJobIDLen+1)
	tests := []struct {
		name, body string
		code       Code
		substr     string
	}{
		{"unknown field", `{"modle":"iris-rf","input":{"features":[1]}}`, CodeMalformedJob, `unknown field "modle"`},
		{"case differs", `{"Model":"iris-rf","input":{"features":[1]}}`, CodeMalformedJob, `unknown field "Model"`},
		{"no input", `{"job_id":"a1","model":"iris-rf"}`, CodeMalformedJob, `no "input"`},
		{"null input", `{"input":null}`, CodeMalformedJob, `no "input"`},
		{"input not object", `{"input":"s3://bkt/k"}`, CodeMalformedJob, `"input" must be an object`},
		{"empty input", `{"input":{}}`, CodeMalformedJob, "exactly one"},
		{"two inputs", `{"input":{"s3":"s3://bkt/k","features":[1]}}`, CodeMalformedJob, "exactly one"},
		{"unknown input kind", `{"input":{"url":"https://x"}}`, CodeMalformedJob, `"url"`},
		{"s3 not string", `{"input":{"s3":{"bucket":"bkt"}}}`, CodeMalformedJob, "input.s3"},
		{"s3 wrong scheme", `{"input":{"s3":"https://bkt/k"}}`, CodeMalformedJob, "s3://"},
		{"s3 no key", `{"input":{"s3":"s3://bkt"}}`, CodeMalformedJob, "no object key"},
		{"s3 empty key", `{"input":{"s3":"s3://bkt/"}}`, CodeMalformedJob, "no object key"},
		{"s3 no bucket", `{"input":{"s3":"s3:///k"}}`, CodeMalformedJob, "bucket name"},
		{"s3 uppercase bucket", `{"input":{"s3":"s3://MyBucket/k"}}`, CodeMalformedJob, "bucket name"},
		{"s3 bucket ends in dash", `{"input":{"s3":"s3://bucket-/k"}}`, CodeMalformedJob, "bucket name"},
		{"s3 short bucket", `{"input":{"s3":"s3://ab/k"}}`, CodeMalformedJob, "bucket name"},
		{"s3 long key", `{"input":{"s3":"s3://bkt/` + strings.Repeat("k", 1025) + `"}}`, CodeMalformedJob, "more than 1024"},
		{"features scalar", `{"input":{"features":5}}`, CodeInvalidFeatures, "array"},
		{"features string", `{"input":{"features":"1,2"}}`, CodeInvalidFeatures, "array"},
		{"features null", `{"input":{"features":null}}`, CodeInvalidFeatures, "array"},
		{"base64 invalid", `{"input":{"data_base64":"not base64!"}}`, CodeMalformedJob, "base64"},
		{"base64 url alphabet", `{"input":{"data_base64":"_-_-"}}`, CodeMalformedJob, "base64"},
		{"base64 not string", `{"input":{"data_base64":[1,2]}}`, CodeMalformedJob, "base64"},
		{"base64 empty", `{"input":{"data_base64":""}}`, CodeEmptyInput, "empty"},
		{"job_id empty", `{"job_id":"","input":{"features":[1]}}`, CodeMalformedJob, "empty"},
		{"job_id number", `{"job_id":42,"input":{"features":[1]}}`, CodeMalformedJob, "inline job"},
		{"job_id too long", `{"job_id":"` + long + `","input":{"features":[1]}}`, CodeMalformedJob, "longer than 256"},
		{"job_id control", `{"job_id":"a\u0000b","input":{"features":[1]}}`, CodeMalformedJob, "non-printable"},
		{"job_id newline", `{"job_id":"a\nb","input":{"features":[1]}}`, CodeMalformedJob, "non-printable"},
		{"job_id bidi override", `{"job_id":"a\u202eb","input":{"features":[1]}}`, CodeMalformedJob, "non-printable"},
		{"job_id padded", `{"job_id":" a","input":{"features":[1]}}`, CodeMalformedJob, "spaces"},
		{"job_id reserved s3", `{"job_id":"s3-0123","input":{"features":[1]}}`, CodeMalformedJob, "reserved"},
		{"job_id reserved inline", `{"job_id":"inline-0123","input":{"features":[1]}}`, CodeMalformedJob, "reserved"},
		{"model not string", `{"model":["a"],"input":{"features":[1]}}`, CodeMalformedJob, "inline job"},
		{"model control", `{"model":"iris\t","input":{"features":[1]}}`, CodeMalformedJob, "model"},
		{"model too long", `{"model":"` + strings.Repeat("m", MaxModelNameLen+1) + `","input":{"features":[1]}}`, CodeMalformedJob, "longer than 128"},
		{"metadata array", `{"metadata":[1],"input":{"features":[1]}}`, CodeMalformedJob, "metadata"},
		{"metadata string", `{"metadata":"x","input":{"features":[1]}}`, CodeMalformedJob, "metadata"},
		{"metadata too big", `{"metadata":{"k":"` + strings.Repeat("m", MaxMetadataSize) + `"},"input":{"features":[1]}}`, CodeMalformedJob, "more than 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustMsgErr(t, decode(tt.body), tt.code, tt.substr) })
	}
}

func TestInlineAccepts(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(t *testing.T, j Job)
	}{
		{"message id without job_id", `{"input":{"features":[1,2]}}`, func(t *testing.T, j Job) {
			if j.ID != "msg-1" {
				t.Errorf("id %q, want the message id", j.ID)
			}
		}},
		{"null job_id model metadata", `{"job_id":null,"model":null,"metadata":null,"input":{"features":[1]}}`, func(t *testing.T, j Job) {
			if j.ID != "msg-1" || j.Model != "" || j.Metadata != nil {
				t.Errorf("got %+v", j)
			}
		}},
		{"empty model is the default", `{"model":"","input":{"features":[1]}}`, func(t *testing.T, j Job) {
			if j.Model != "" {
				t.Errorf("model %q", j.Model)
			}
		}},
		{"unicode job_id at the limit", `{"job_id":"` + strings.Repeat("é", MaxJobIDLen) + `","input":{"features":[1]}}`, func(t *testing.T, j Job) {
			if j.ID != strings.Repeat("é", MaxJobIDLen) {
				t.Errorf("id %q", j.ID)
			}
		}},
		{"s3 key taken literally", `{"input":{"s3":"s3://my.bucket-1/a b/c+d%20e.png"}}`, func(t *testing.T, j Job) {
			if o := *j.Input.S3; o.Bucket != "my.bucket-1" || o.Key != "a b/c+d%20e.png" {
				t.Errorf("object %+v", o)
			}
		}},
		{"unpadded base64", `{"input":{"data_base64":"aGk"}}`, func(t *testing.T, j Job) {
			if string(j.Input.Data) != "hi" {
				t.Errorf("data %q", j.Input.Data)
			}
		}},
		{"features compacted", `{"input":{"features":[ 1 ,
			2.5e0 ]}}`, func(t *testing.T, j Job) {
			if string(j.Input.Features) != `{"features":[1,2.5e0]}` {
				t.Errorf("features %s", j.Input.Features)
			}
		}},
		{"nested metadata", `{"metadata":{"a":{"b":[1,"x",true,null]}},"input":{"features":[1]}}`, func(t *testing.T, j Job) {
			if !equalJSON(t, j.Metadata, map[string]any{"a": map[string]any{"b": []any{1.0, "x", true, nil}}}) {
				t.Errorf("metadata %v", j.Metadata)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustJobs(t, decode(tt.body), 1)[0]) })
	}
}

func TestInlineWithoutAnyID(t *testing.T) {
	// Outside SQS (no message id), the id derives from the payload.
	body := `{"input":{"features":[1,2]}}`
	a := mustJobs(t, DecodeMessage(sqsRecord("", body)), 1)[0]
	b := mustJobs(t, DecodeMessage(sqsRecord("", `{"input": {"features": [1, 2]}}`)), 1)[0]
	if !strings.HasPrefix(a.ID, InlineJobPrefix) || a.ID != b.ID || a.ID != InlineJobPrefix+a.PayloadHash[:32] {
		t.Errorf("ids %q %q", a.ID, b.ID)
	}
}

func TestParseS3URI(t *testing.T) {
	o, err := ParseS3URI("s3://bkt/dir/file name.png")
	if err != nil || o != (S3Object{Bucket: "bkt", Key: "dir/file name.png"}) || o.URI() != "s3://bkt/dir/file name.png" {
		t.Fatalf("got %+v, %v", o, err)
	}
	_, err = ParseS3URI("s3:/bkt/k")
	mustErr(t, err, CodeMalformedJob, "s3://")
}
