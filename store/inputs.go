package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/batchinfer/batchinfer/jobs"
)

// DefaultMaxInputBytes is the input size cap when Inputs.MaxBytes is not
// set (BATCHINFER_MAX_INPUT_BYTES's default).
const DefaultMaxInputBytes = 10 << 20

// Inputs reads job inputs from S3.
type Inputs struct {
	Client   *s3.Client
	MaxBytes int64 // objects larger than this fail input_too_large; <= 0 = DefaultMaxInputBytes
}

func (in *Inputs) maxBytes() int64 {
	if in.MaxBytes > 0 {
		return in.MaxBytes
	}
	return DefaultMaxInputBytes
}

// Fetch reads one object (the given version when VersionID is set). The
// size cap is checked twice: against Content-Length before reading, and
// while reading through a limit of MaxBytes+1, so a length that lies (or a
// chunked answer without one) cannot make the worker buffer more.
// A missing or unreadable object (NoSuchKey, NoSuchBucket, NoSuchVersion,
// 404, 403) is input_missing; other failures go through Classify.
func (in *Inputs) Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error) {
	out, uri, err := in.getObject(ctx, obj, 0)
	if err != nil {
		return nil, Classify(err, "get "+uri)
	}
	defer out.Body.Close()

	limit := in.maxBytes()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return nil, jobs.Errorf(jobs.CodeInputTooLarge, "%s is %d bytes, over the %d-byte limit", uri, n, limit)
	}
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		buf.Grow(int(n))
	}
	n, err := io.Copy(&buf, io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, Classify(err, "read "+uri)
	}
	if n > limit {
		return nil, jobs.Errorf(jobs.CodeInputTooLarge, "%s has more than %d bytes (the limit)", uri, limit)
	}
	return buf.Bytes(), nil
}

// getObject asks for obj (its version when it names one) from byte offset
// on; uri names it in errors. A missing or unreadable object is
// input_missing, other failures come back as the SDK gave them.
func (in *Inputs) getObject(ctx context.Context, obj jobs.S3Object, offset int64) (out *s3.GetObjectOutput, uri string, err error) {
	uri = obj.URI()
	get := &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)}
	if obj.VersionID != "" {
		get.VersionId = aws.String(obj.VersionID)
		uri += "?versionId=" + obj.VersionID
	}
	if offset > 0 {
		get.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err = in.Client.GetObject(ctx, get)
	if err != nil && isMissing(err) {
		return nil, uri, jobs.Wrap(jobs.CodeInputMissing, err, "get %s", uri)
	}
	return out, uri, err
}

// isMissing reports an object that does not exist or that we may not read:
// either way retrying cannot make it appear.
func isMissing(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchVersion", "AccessDenied", "Forbidden", "InvalidObjectState":
			return true
		}
	}
	switch httpStatus(err) {
	case 403, 404:
		return true
	}
	return false
}

// Open streams obj from byte offset on (a Range GET when offset > 0) for a
// record file, returning the body and the object's whole size. Errors are
// classified as Fetch's are.
func (in *Inputs) Open(ctx context.Context, obj jobs.S3Object, offset int64) (io.ReadCloser, int64, error) {
	out, uri, err := in.getObject(ctx, obj, offset)
	if err != nil {
		if httpStatus(err) == 416 { // the range starts at the end: nothing left
			return io.NopCloser(bytes.NewReader(nil)), offset, nil
		}
		return nil, 0, Classify(err, "get "+uri)
	}
	size := aws.ToInt64(out.ContentLength) + offset
	if cr := aws.ToString(out.ContentRange); cr != "" { // "bytes 100-199/200"
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = n
			}
		}
	}
	return out.Body, size, nil
}
