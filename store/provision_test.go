package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestProvisionIdempotentAndRedrive(t *testing.T) {
	ctx := context.Background()
	spec := ProvisionSpec{
		InputBucket: name("inbox"), ResultsBucket: name("results"),
		Queue: name("jobs"), DLQ: name("jobs-dlq"), Table: name("table"),
		MaxReceives: 2, VisibilityTimeout: time.Second,
	}
	t.Cleanup(func() { _ = Teardown(context.Background(), cfg, spec) })

	first, err := Provision(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	second, err := Provision(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("Provision again: %v", err)
	}
	if first != second {
		t.Fatalf("second Provision differs: %+v vs %+v", first, second)
	}

	sqsc := sqs.NewFromConfig(cfg)
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(first.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var redrive struct {
		Target string `json:"deadLetterTargetArn"`
		Max    any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &redrive); err != nil || redrive.Target != first.DLQARN {
		t.Fatalf("RedrivePolicy %q (%v), want target %s", attrs.Attributes["RedrivePolicy"], err, first.DLQARN)
	}
	if attrs.Attributes["VisibilityTimeout"] != "1" {
		t.Errorf("VisibilityTimeout %q, want 1", attrs.Attributes["VisibilityTimeout"])
	}
	s3c := NewS3Client(cfg)
	for _, b := range []string{spec.InputBucket, spec.ResultsBucket} {
		if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
	desc, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(spec.Table)})
	if err != nil || len(desc.Table.GlobalSecondaryIndexes) != 1 || aws.ToString(desc.Table.GlobalSecondaryIndexes[0].IndexName) != StatusIndex {
		t.Fatalf("table: %v (%v)", desc, err)
	}

	checkRedriveMoves(t, sqsc, first, spec.MaxReceives)

	putObject(t, spec.ResultsBucket, "results/left-over.json", []byte("{}")) // Teardown empties buckets
	if err := Teardown(ctx, cfg, spec); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if err := Teardown(ctx, cfg, spec); err != nil {
		t.Fatalf("Teardown again: %v", err)
	}
	if _, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(spec.Queue)}); err == nil {
		t.Error("jobs queue survived Teardown")
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(spec.InputBucket)}); err == nil {
		t.Error("input bucket survived Teardown")
	}
}

// checkRedriveMoves: the redrive policy really moves a message: received
// maxReceives times without a delete, the next receive finds it on the DLQ.
func checkRedriveMoves(t *testing.T, sqsc *sqs.Client, first Provisioned, maxReceives int) {
	t.Helper()
	ctx := context.Background()
	if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(first.QueueURL), MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	for i := range maxReceives {
		m := receiveOne(t, sqsc, first.QueueURL)
		if m == nil {
			t.Fatalf("receive %d: nothing", i+1)
		}
		// Make it visible again at once instead of waiting out the timeout.
		if _, err := sqsc.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(first.QueueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if m := receiveOne(t, sqsc, first.QueueURL); m != nil {
		t.Fatalf("message still on the jobs queue after %d receives: %q", maxReceives, aws.ToString(m.Body))
	}
	dead := receiveOne(t, sqsc, first.DLQURL)
	if dead == nil || aws.ToString(dead.Body) != "poison" {
		t.Fatalf("DLQ holds %v, want the poison message", dead)
	}
}

func receiveOne(t *testing.T, c *sqs.Client, queue string) *sqstypes.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queue), MaxNumberOfMessages: 1, WaitTimeSeconds: 0,
	})
	if err != nil {
		t.Fatalf("receive from %s: %v", queue, err)
	}
	if len(out.Messages) == 0 {
		return nil
	}
	return &out.Messages[0]
}
