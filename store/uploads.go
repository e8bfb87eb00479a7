package store

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// UploadRequest is one presigned PUT to make.
type UploadRequest struct {
	Bucket, Key string
	ContentType string
	Size        int64  // signed as Content-Length: S3 refuses a PUT of any other size
	ContentMD5  string // base64 of the content's MD5, signed as Content-MD5 when set: S3 refuses other bytes
	Expires     time.Duration
}

// Upload is a presigned request: send it with exactly these headers.
type Upload struct {
	URL     string
	Method  string
	Headers map[string]string
}

// Uploads presigns PUTs into a bucket, for inputs too large for a request
// body.
type Uploads struct {
	Presign *s3.PresignClient
}

// NewUploads presigns with c's configuration (path-style on an emulator,
// see NewS3Client).
func NewUploads(c *s3.Client) *Uploads { return &Uploads{Presign: s3.NewPresignClient(c)} }

// PresignPut signs a PUT of req.Size bytes of req.ContentType to the key.
func (u *Uploads) PresignPut(ctx context.Context, req UploadRequest) (Upload, error) {
	out, err := u.Presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key),
		ContentType: aws.String(req.ContentType), ContentLength: aws.Int64(req.Size),
		ContentMD5: nonEmptyString(req.ContentMD5),
	}, s3.WithPresignExpires(req.Expires))
	if err != nil {
		return Upload{}, Classify(err, fmt.Sprintf("presign PUT s3://%s/%s", req.Bucket, req.Key))
	}
	h := map[string]string{}
	for k, vs := range out.SignedHeader {
		if strings.EqualFold(k, "host") {
			continue // set by every HTTP client from the URL
		}
		h[http.CanonicalHeaderKey(k)] = strings.Join(vs, ",")
	}
	return Upload{URL: out.URL, Method: out.Method, Headers: h}, nil
}

func nonEmptyString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
