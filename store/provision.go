package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// ProvisionSpec names the resources of one batchinfer system.
type ProvisionSpec struct {
	InputBucket, ResultsBucket string
	Queue, DLQ                 string // queue names
	Table                      string
	MaxReceives                int           // redrive maxReceiveCount; <= 0 = 5
	VisibilityTimeout          time.Duration // of the jobs queue; 0 = the SQS default (30 s)
	// FIFO makes both queues FIFO queues (their names must end in .fifo),
	// content-based deduplication off: producers name each message's
	// deduplication id (Queue.Send does).
	FIFO bool
}

// Provisioned is what Provision created or found.
type Provisioned struct {
	QueueURL, QueueARN string
	DLQURL, DLQARN     string
}

// tableActiveTimeout bounds the wait for a new table to become ACTIVE.
const tableActiveTimeout = 60 * time.Second

// Provision creates, or finds and brings up to date, the system's
// resources: both buckets, the DLQ, the jobs queue with a RedrivePolicy
// {deadLetterTargetArn, maxReceiveCount} to it, and the results table
// (on-demand, key job_id, StatusIndex, TTL on expires_at where supported).
// Running it again changes nothing; `batchinfer local up` uses it against
// whatever AWS_ENDPOINT_URL* points at.
func Provision(ctx context.Context, cfg aws.Config, spec ProvisionSpec) (Provisioned, error) {
	var p Provisioned
	s3c := NewS3Client(cfg)
	for _, b := range []string{spec.InputBucket, spec.ResultsBucket} {
		if err := ensureBucket(ctx, s3c, cfg.Region, b); err != nil {
			return p, err
		}
	}

	sqsc := sqs.NewFromConfig(cfg)
	var err error
	var dlqAttrs map[string]string
	if spec.FIFO {
		dlqAttrs = fifoAttributes()
	}
	if p.DLQURL, p.DLQARN, err = ensureQueue(ctx, sqsc, spec.DLQ, dlqAttrs); err != nil {
		return p, err
	}
	maxReceives := spec.MaxReceives
	if maxReceives <= 0 {
		maxReceives = 5
	}
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": p.DLQARN,
		"maxReceiveCount":     strconv.Itoa(maxReceives),
	})
	attrs := map[string]string{string(sqstypes.QueueAttributeNameRedrivePolicy): string(redrive)}
	if spec.FIFO {
		maps.Copy(attrs, fifoAttributes())
	}
	if spec.VisibilityTimeout > 0 {
		attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(int(spec.VisibilityTimeout.Round(time.Second) / time.Second))
	}
	if p.QueueURL, p.QueueARN, err = ensureQueue(ctx, sqsc, spec.Queue, attrs); err != nil {
		return p, err
	}

	if err := ensureTable(ctx, dynamodb.NewFromConfig(cfg), spec.Table); err != nil {
		return p, err
	}
	return p, nil
}

func fifoAttributes() map[string]string {
	return map[string]string{
		string(sqstypes.QueueAttributeNameFifoQueue):                 "true",
		string(sqstypes.QueueAttributeNameContentBasedDeduplication): "false",
	}
}

func ensureBucket(ctx context.Context, c *s3.Client, region, name string) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if region != "" && region != "us-east-1" { // us-east-1 rejects an explicit constraint
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	_, err := c.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	if err == nil || errors.As(err, &owned) {
		return nil
	}
	// Some implementations answer BucketAlreadyExists to their own owner:
	// if we can reach the bucket, it is ours to use.
	if _, headErr := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); headErr == nil {
		return nil
	}
	return Classify(err, "create bucket "+name)
}

// ensureQueue creates the queue or, when it exists with other attributes,
// updates them; it returns the URL and ARN.
func ensureQueue(ctx context.Context, c *sqs.Client, name string, attrs map[string]string) (string, string, error) {
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	var url string
	switch {
	case err == nil:
		url = aws.ToString(out.QueueUrl)
	case apiCode(err) == "QueueAlreadyExists" || apiCode(err) == "QueueNameExists":
		got, gerr := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if gerr != nil {
			return "", "", Classify(gerr, "get queue URL of "+name)
		}
		url = aws.ToString(got.QueueUrl)
		// FifoQueue is fixed at creation; SetQueueAttributes refuses it.
		attrs = maps.Clone(attrs)
		delete(attrs, string(sqstypes.QueueAttributeNameFifoQueue))
		if _, serr := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: attrs}); serr != nil {
			return "", "", Classify(serr, "update queue "+name)
		}
	default:
		return "", "", Classify(err, "create queue "+name)
	}
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", Classify(err, "get ARN of queue "+name)
	}
	arn := ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", "", fmt.Errorf("get ARN of queue %s: no QueueArn attribute", name)
	}
	return url, arn, nil
}

func ensureTable(ctx context.Context, c *dynamodb.Client, table string) error {
	str := dbtypes.ScalarAttributeTypeS
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: aws.String("job_id"), AttributeType: str},
			{AttributeName: aws.String(StatusShardAttr), AttributeType: str},
			{AttributeName: aws.String("updated_at"), AttributeType: str},
		},
		KeySchema: []dbtypes.KeySchemaElement{{AttributeName: aws.String("job_id"), KeyType: dbtypes.KeyTypeHash}},
		GlobalSecondaryIndexes: []dbtypes.GlobalSecondaryIndex{{
			IndexName: aws.String(StatusIndex),
			KeySchema: []dbtypes.KeySchemaElement{
				{AttributeName: aws.String(StatusShardAttr), KeyType: dbtypes.KeyTypeHash},
				{AttributeName: aws.String("updated_at"), KeyType: dbtypes.KeyTypeRange},
			},
			Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeInclude, NonKeyAttributes: IndexProjection},
		}},
	})
	var inUse *dbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return Classify(err, "create table "+table)
	}
	if err := waitTableActive(ctx, c, table); err != nil {
		return err
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	})
	if err != nil {
		// dynalite has no UpdateTimeToLive, and AWS refuses to enable TTL
		// twice: neither stops a working system, so note it and go on.
		slog.DebugContext(ctx, "TTL not enabled on the results table", "table", table, "err", err)
	}
	return nil
}

func waitTableActive(ctx context.Context, c *dynamodb.Client, table string) error {
	ctx, cancel := context.WithTimeout(ctx, tableActiveTimeout)
	defer cancel()
	for {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return Classify(err, "describe table "+table)
		}
		if out.Table.TableStatus == dbtypes.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s not ACTIVE (%s): %w", table, out.Table.TableStatus, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Teardown deletes what Provision created: the queues, both buckets with
// everything in them, and the table. Resources already gone are skipped.
func Teardown(ctx context.Context, cfg aws.Config, spec ProvisionSpec) error {
	var errs []error
	sqsc := sqs.NewFromConfig(cfg)
	for _, q := range []string{spec.Queue, spec.DLQ} {
		got, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q)})
		if isNotFound(err) {
			continue
		}
		if err == nil {
			_, err = sqsc.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: got.QueueUrl})
		}
		if err != nil && !isNotFound(err) {
			errs = append(errs, Classify(err, "delete queue "+q))
		}
	}
	s3c := NewS3Client(cfg)
	for _, b := range []string{spec.InputBucket, spec.ResultsBucket} {
		if err := deleteBucket(ctx, s3c, b); err != nil {
			errs = append(errs, err)
		}
	}
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(spec.Table)}); err != nil && !isNotFound(err) {
		errs = append(errs, Classify(err, "delete table "+spec.Table))
	}
	return errors.Join(errs...)
}

func deleteBucket(ctx context.Context, c *s3.Client, bucket string) error {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return Classify(err, "list bucket "+bucket)
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil && !isNotFound(err) {
				return Classify(err, fmt.Sprintf("delete s3://%s/%s", bucket, aws.ToString(o.Key)))
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil && !isNotFound(err) {
		return Classify(err, "delete bucket "+bucket)
	}
	return nil
}

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// isNotFound recognises "it is already gone" across the three services.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	switch apiCode(err) {
	case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue",
		"NoSuchBucket", "NotFound", "NoSuchKey", "ResourceNotFoundException":
		return true
	}
	return httpStatus(err) == 404
}
