package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxKeyBytes is S3's limit on an object key.
const maxKeyBytes = 1024

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
