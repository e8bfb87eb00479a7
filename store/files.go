package store

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
)

// Files uploads local files to S3 (`batchinfer submit PATH`).
type Files struct {
	Client *s3.Client
}

// PutFile uploads the file at path to bucket/key with contentType and
// returns the object as a notification will name it (ETag, version), so
// the caller can derive its job id. One PutObject: inputs are capped far
// below S3's 5 GiB single-request limit.
func (f *Files) PutFile(ctx context.Context, bucket, key, path, contentType string) (jobs.S3Object, error) {
	fh, err := os.Open(path)
	if err != nil {
		return jobs.S3Object{}, fmt.Errorf("upload %s: %w", path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return jobs.S3Object{}, fmt.Errorf("upload %s: %w", path, err)
	}
	out, err := f.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: fh,
		ContentLength: aws.Int64(st.Size()), ContentType: aws.String(contentType),
	})
	if err != nil {
		return jobs.S3Object{}, Classify(err, fmt.Sprintf("upload %s to s3://%s/%s", path, bucket, key))
	}
	return jobs.S3Object{Bucket: bucket, Key: key, Size: st.Size(),
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId)}, nil
}
