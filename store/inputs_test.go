package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
)

func putObject(t *testing.T, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := NewS3Client(cfg).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
	return out
}

func TestFetch(t *testing.T) {
	bucket := newBucket(t)
	small := []byte("0123456789")
	putObject(t, bucket, "dir/small file+1.bin", small)
	putObject(t, bucket, "exact", bytes.Repeat([]byte{'x'}, 64))
	putObject(t, bucket, "big", bytes.Repeat([]byte{'x'}, 65))
	in := &Inputs{Client: NewS3Client(cfg), MaxBytes: 64}

	tests := []struct {
		name     string
		obj      jobs.S3Object
		want     []byte
		wantCode jobs.Code
	}{
		{"small object, key with space and plus", jobs.S3Object{Bucket: bucket, Key: "dir/small file+1.bin"}, small, ""},
		{"exactly the limit", jobs.S3Object{Bucket: bucket, Key: "exact"}, bytes.Repeat([]byte{'x'}, 64), ""},
		{"one byte over (Content-Length)", jobs.S3Object{Bucket: bucket, Key: "big"}, nil, jobs.CodeInputTooLarge},
		{"missing key", jobs.S3Object{Bucket: bucket, Key: "nope"}, nil, jobs.CodeInputMissing},
		{"missing bucket", jobs.S3Object{Bucket: name("nobucket"), Key: "k"}, nil, jobs.CodeInputMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := in.Fetch(context.Background(), tc.obj)
			if tc.wantCode != "" {
				if code := jobs.CodeOf(err); err == nil || code != tc.wantCode || !jobs.IsPermanent(err) {
					t.Fatalf("Fetch = %d bytes, %v; want permanent %s", len(got), err, tc.wantCode)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("Fetch = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestFetchStreamedOverLimit serves an object without Content-Length
// (chunked), as a proxy or a lying server might: the cap must hold while
// reading, not only against the header.
func TestFetchStreamedOverLimit(t *testing.T) {
	const limit = 1000
	var served int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte{'y'}, 100)
		for range 50 { // 5000 bytes, flushed in chunks: no Content-Length
			n, err := w.Write(chunk)
			served += n
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	in := &Inputs{Client: faultS3(srv.URL), MaxBytes: limit}
	got, err := in.Fetch(context.Background(), jobs.S3Object{Bucket: "b", Key: "k"})
	if jobs.CodeOf(err) != jobs.CodeInputTooLarge {
		t.Fatalf("Fetch = %d bytes, %v; want input_too_large", len(got), err)
	}
}

// TestFetchVersion checks the version travels with the request and that
// S3's answer for a version that is gone means input_missing. fauxqs keeps
// no versions, so a recording fault server plays S3 here.
func TestFetchVersion(t *testing.T) {
	var gotVersion string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotVersion = r.URL.Query().Get("versionId")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchVersion</Code><Message>The specified version does not exist.</Message><Key>k</Key><VersionId>v9</VersionId></Error>`)
	}))
	t.Cleanup(srv.Close)
	in := &Inputs{Client: faultS3(srv.URL)}
	_, err := in.Fetch(context.Background(), jobs.S3Object{Bucket: "b", Key: "k", VersionID: "v9"})
	if gotVersion != "v9" {
		t.Errorf("request versionId %q, want v9", gotVersion)
	}
	if jobs.CodeOf(err) != jobs.CodeInputMissing || !strings.Contains(err.Error(), "versionId=v9") {
		t.Fatalf("Fetch = %v, want input_missing naming the version", err)
	}
}

// faultS3 is an S3 client aimed at a test server instead of the emulator.
func faultS3(url string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(url), true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

func ExampleOutputs_Key() {
	o := &Outputs{Prefix: "results"}
	fmt.Println(o.Key("s3-0123abcd"))
	fmt.Println(o.Key("../../etc/passwd"))
	// Output:
	// results/s3-0123abcd.json
	// results/..%2F..%2Fetc%2Fpasswd.json
}

// Open streams a record file from an offset: the rest of the object and
// its whole size, nothing left at its end, input_missing without it.
func TestOpenFromOffset(t *testing.T) {
	bucket := newBucket(t)
	putObject(t, bucket, "lines.jsonl", []byte("0123456789"))
	in := &Inputs{Client: NewS3Client(cfg)}
	obj := jobs.S3Object{Bucket: bucket, Key: "lines.jsonl"}
	for _, tc := range []struct {
		offset int64
		want   string
	}{{0, "0123456789"}, {4, "456789"}, {10, ""}} {
		body, size, err := in.Open(context.Background(), obj, tc.offset)
		if err != nil {
			t.Fatalf("Open at %d: %v", tc.offset, err)
		}
		got, err := io.ReadAll(body)
		body.Close()
		if err != nil || string(got) != tc.want || size != 10 {
			t.Errorf("Open at %d = %q, size %d (%v); want %q, size 10", tc.offset, got, size, err, tc.want)
		}
	}
	if _, _, err := in.Open(context.Background(), jobs.S3Object{Bucket: bucket, Key: "nope"}, 3); jobs.CodeOf(err) != jobs.CodeInputMissing {
		t.Errorf("Open of a missing object: %v; want input_missing", err)
	}
}
