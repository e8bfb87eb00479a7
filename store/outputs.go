package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/batchinfer/batchinfer/jobs"
)

// maxKeyBytes is S3's limit on an object key.
const maxKeyBytes = jobs.MaxS3KeyBytes

// Outputs writes each job's full output as JSON to S3.
type Outputs struct {
	Client *s3.Client
	Bucket string
	Prefix string // e.g. "results/"; a missing trailing slash is added
}

// Key is the object key of a job's output: Prefix + the escaped job id +
// ".json". Every byte outside [A-Za-z0-9._-] is percent-escaped ("/" as
// %2F, "%" itself as %25), so the escaped id is one path segment that can
// neither climb out of Prefix ("../") nor start a new folder, and distinct
// ids never share a key. url.PathUnescape gives the id back.
func (o *Outputs) Key(jobID string) string {
	return o.prefix() + escapeKeySegment(jobID) + ".json"
}

func (o *Outputs) prefix() string {
	if o.Prefix == "" || strings.HasSuffix(o.Prefix, "/") {
		return o.Prefix
	}
	return o.Prefix + "/"
}

// Put writes body under Key(jobID) and returns its s3:// URI.
func (o *Outputs) Put(ctx context.Context, jobID string, body []byte) (string, error) {
	if jobID == "" {
		return "", errors.New("put output: empty job_id")
	}
	key := o.Key(jobID)
	if len(key) > maxKeyBytes {
		return "", fmt.Errorf("put output of job %.64q…: key is %d bytes, over S3's %d", jobID, len(key), maxKeyBytes)
	}
	uri := "s3://" + o.Bucket + "/" + key
	_, err := o.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(o.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
	})
	if err != nil {
		return "", Classify(err, "put "+uri)
	}
	return uri, nil
}

func escapeKeySegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// RecordKey is the object key of a record file's JSONL output.
func (o *Outputs) RecordKey(jobID string) string {
	return o.prefix() + escapeKeySegment(jobID) + ".jsonl"
}

// URI is the s3:// URI of key in the results bucket.
func (o *Outputs) URI(key string) string { return "s3://" + o.Bucket + "/" + key }

// PutKey writes body under key with one PutObject.
func (o *Outputs) PutKey(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := o.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(o.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType),
	})
	return Classify(err, "put "+o.URI(key))
}

// GetKey reads the object at key.
func (o *Outputs) GetKey(ctx context.Context, key string) ([]byte, error) {
	out, err := o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, Classify(err, "get "+o.URI(key))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, Classify(err, "read "+o.URI(key))
	}
	return b, nil
}

// DeleteKey deletes the object at key (absent is fine).
func (o *Outputs) DeleteKey(ctx context.Context, key string) error {
	_, err := o.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key)})
	return Classify(err, "delete "+o.URI(key))
}

// CreateUpload starts a multipart upload of key.
func (o *Outputs) CreateUpload(ctx context.Context, key, contentType string) (string, error) {
	out, err := o.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(o.Bucket), Key: aws.String(key), ContentType: aws.String(contentType),
	})
	if err != nil {
		return "", Classify(err, "start multipart upload of "+o.URI(key))
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart uploads part n of an upload and returns its ETag without
// quotes. Uploading the same part number again replaces it, which is what
// makes a resumed record file idempotent.
func (o *Outputs) UploadPart(ctx context.Context, key, uploadID string, n int32, body []byte) (string, error) {
	out, err := o.Client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(o.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return "", Classify(err, fmt.Sprintf("upload part %d of %s", n, o.URI(key)))
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// CompleteUpload assembles the parts. Part ETags go without quotes (the
// emulator compares them as text, and Go's XML escapes quotes). An upload
// that is already complete (a retry after a lost answer, or a crash
// before the item was written) counts as done when the object exists.
func (o *Outputs) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag)}
	}
	_, err := o.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(o.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	})
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload" {
		if _, herr := o.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key)}); herr == nil {
			return nil
		}
	}
	return Classify(err, "complete multipart upload of "+o.URI(key))
}
