package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ErrChanged means Reset found the item no longer in the status it was
// read in: another attempt wrote it meanwhile, so it is left alone.
var ErrChanged = errors.New("store: job item changed since it was read")

// Reset deletes the job's item so that a new delivery can claim it, but
// only while it is still in status expect (a conditional DeleteItem):
// Claim accepts a job with no item, and a concurrent outcome is never
// erased. ErrChanged when the item changed or is gone.
func (r *Results) Reset(ctx context.Context, jobID string, expect Status) error {
	cond := expression.Name("status").Equal(expression.Value(string(expect)))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("reset job %s: build expression: %w", jobID, err)
	}
	_, err = r.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       r.key(jobID),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
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
