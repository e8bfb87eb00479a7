package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ErrChanged means Reset found the item no longer in the status it was
// read in: another attempt wrote it meanwhile, so it is left alone.
var ErrChanged = errors.New("store: job item changed since it was read")

// Reset makes a finished job runnable again, but only while it is still
// in status expect (ErrChanged otherwise, or when the item is gone): the
// item becomes IN_PROGRESS with no lease, no payload hash and no outcome,
// and reset_at records when. The next delivery claims it (any payload may,
// the job starts over), and a delivery whose work began before the reset
// can no longer store its stale outcome (Results.Put). A concurrent
// outcome is never erased. Attempts and created_at are kept.
func (r *Results) Reset(ctx context.Context, jobID string, expect Status) error {
	now := r.now()
	update := expression.
		Set(expression.Name("status"), expression.Value(string(StatusInProgress))).
		Set(expression.Name(StatusShardAttr), expression.Value(StatusShard(StatusInProgress, jobID))).
		Set(expression.Name("lease_expires_at"), expression.Value(0)).
		Set(expression.Name("reset_at"), expression.Value(now.UnixMilli())).
		Set(expression.Name("updated_at"), expression.Value(formatTime(now)))
	for _, name := range []string{"payload_hash", "claim_token", "output", "output_uri", "error", "progress", "timings"} {
		update = update.Remove(expression.Name(name))
	}
	cond := condition{
		expr:   "#c_status = :c_expect",
		names:  map[string]string{"#c_status": "status"},
		values: map[string]types.AttributeValue{":c_expect": &types.AttributeValueMemberS{Value: string(expect)}},
	}
	err := r.update(ctx, jobID, update, cond, false, nil)
	if conditionFailed(err) {
		return fmt.Errorf("reset job %s (expected %s): %w", jobID, expect, ErrChanged)
	}
	return Classify(err, "reset job "+jobID)
}

// ObjectVersion returns the current version id ("" when unversioned) and
// ETag (without quotes) of s3://bucket/key: what an S3 job id is derived
// from, so reprocessing can tell whether the object changed.
func ObjectVersion(ctx context.Context, c *s3.Client, bucket, key string) (versionID, etag string, err error) {
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", "", Classify(err, fmt.Sprintf("head s3://%s/%s", bucket, key))
	}
	return aws.ToString(out.VersionId), strings.Trim(aws.ToString(out.ETag), `"`), nil
}
