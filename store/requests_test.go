package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// counted returns clients on a copy of the emulators' configuration with
// a RequestCounter added, as the worker will build them.
func counted(t *testing.T) (*RequestCounter, *s3.Client, *dynamodb.Client, *sqs.Client) {
	t.Helper()
	c := cfg.Copy()
	rc := CountRequests(&c)
	return rc, NewS3Client(c), dynamodb.NewFromConfig(c), sqs.NewFromConfig(c)
}

func TestRequestCounterCountsCallsAndDynamoDBUnits(t *testing.T) {
	ctx := context.Background()
	table := newTable(t).Table
	bucket := newBucket(t)
	queue := newQueue(t)
	rc, s3c, db, sqsc := counted(t)
	before := rc.Snapshot()

	put := &dynamodb.PutItemInput{TableName: aws.String(table), Item: countedItem("small", "x")}
	steps := append(append(dynamoDBSteps(ctx, db, table, put), s3Steps(ctx, s3c, bucket)...), sqsSteps(ctx, sqsc, queue)...)
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got := rc.Since(before)
	want := Billed{SQS: 3, DynamoDBReadUnits: 1.5, DynamoDBWriteUnits: 5, S3Get: 2, S3Put: 2}
	if got.Billed != want {
		t.Fatalf("billed %+v, want %+v", got.Billed, want)
	}
	calls := map[string]int64{
		"DynamoDB.PutItem": 3, "DynamoDB.GetItem": 2, "S3.PutObject": 1, "S3.GetObject": 1, "S3.HeadObject": 1,
		"S3.ListObjectsV2": 1, "S3.DeleteObject": 1, "SQS.SendMessageBatch": 1, "SQS.ReceiveMessage": 1, "SQS.GetQueueAttributes": 1,
	}
	for op, n := range calls {
		if got.Calls[op] != n {
			t.Errorf("%s: %d calls, want %d (all: %v)", op, got.Calls[op], n, got.Calls)
		}
	}
	if got.Total() != 13 {
		t.Errorf("%d calls in all, want 13", got.Total())
	}
	if put.ReturnConsumedCapacity != "" {
		t.Errorf("the caller's input was changed: ReturnConsumedCapacity %q", put.ReturnConsumedCapacity)
	}
}

func countedItem(id, payload string) map[string]dbtypes.AttributeValue {
	return map[string]dbtypes.AttributeValue{"job_id": &dbtypes.AttributeValueMemberS{Value: id}, "p": &dbtypes.AttributeValueMemberS{Value: payload}}
}

func countedKey(id string) map[string]dbtypes.AttributeValue {
	return map[string]dbtypes.AttributeValue{"job_id": &dbtypes.AttributeValueMemberS{Value: id}}
}

// DynamoDB: a small write (1 WCU), a 2.5 KB write (3 WCU), an eventually
// consistent read (0.5 RCU), a strongly consistent read of the big item
// (1 RCU: under 4 KB), a write refused by its condition (1 WCU).
func dynamoDBSteps(ctx context.Context, db *dynamodb.Client, table string, put *dynamodb.PutItemInput) []func() error {
	return []func() error{
		func() error { _, err := db.PutItem(ctx, put); return err },
		func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: countedItem("big", strings.Repeat("y", 2500))})
			return err
		},
		func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: countedKey("small")})
			return err
		},
		func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: countedKey("big"), ConsistentRead: aws.Bool(true)})
			return err
		},
		func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: countedItem("small", "z"),
				ConditionExpression: aws.String("attribute_not_exists(job_id)")})
			var ccf *dbtypes.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				return errors.New("the conditional put was not refused")
			}
			return nil
		},
	}
}

// S3: two PUT-class calls (PutObject, ListObjectsV2), two GET-class
// (GetObject, HeadObject), one free (DeleteObject).
func s3Steps(ctx context.Context, s3c *s3.Client, bucket string) []func() error {
	return []func() error{
		func() error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("data")})
			return err
		},
		func() error {
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			if err == nil {
				out.Body.Close()
			}
			return err
		},
		func() error {
			_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			return err
		},
		func() error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			return err
		},
		func() error {
			_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			return err
		},
	}
}

// SQS: three calls, one of them a batch of two.
func sqsSteps(ctx context.Context, sqsc *sqs.Client, queue string) []func() error {
	return []func() error{
		func() error {
			_, err := sqsc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue), Entries: []sqstypes.SendMessageBatchRequestEntry{
				{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("b"), MessageBody: aws.String("2")}}})
			return err
		},
		func() error {
			_, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 10})
			return err
		},
		func() error {
			_, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue)})
			return err
		},
	}
}

func TestRequestScopeCountsOnlyItsOwnCalls(t *testing.T) {
	queue := newQueue(t)
	rc, _, _, sqsc := counted(t)
	before := rc.Snapshot()
	scoped, scope := WithRequestScope(context.Background())
	for _, ctx := range []context.Context{scoped, context.Background(), scoped} {
		if _, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := scope.Snapshot(); got.SQS != 2 || got.Calls["SQS.GetQueueAttributes"] != 2 {
		t.Fatalf("scope counted %+v, want its 2 calls", got)
	}
	if got := rc.Since(before); got.SQS != 3 {
		t.Fatalf("the counter counted %+v, want all 3 calls", got)
	}
}

func TestBillingUnits(t *testing.T) {
	type publishBatch struct{ PublishBatchRequestEntries []int }
	type putEvents struct{ Entries []int }
	cases := []struct {
		service, op string
		params      any
		want        Billed
	}{
		{"S3", "UploadPart", nil, Billed{S3Put: 1}},
		{"S3", "CompleteMultipartUpload", nil, Billed{S3Put: 1}},
		{"S3", "CreateMultipartUpload", nil, Billed{S3Put: 1}},
		{"S3", "AbortMultipartUpload", nil, Billed{}},
		{"S3", "DeleteObjects", nil, Billed{}},
		{"S3", "GetObject", nil, Billed{S3Get: 1}},
		{"SQS", "DeleteMessageBatch", nil, Billed{SQS: 1}},
		{"SNS", "Publish", &struct{ Message string }{}, Billed{SNS: 1}},
		{"SNS", "PublishBatch", &publishBatch{make([]int, 7)}, Billed{SNS: 7}},
		{"EventBridge", "PutEvents", &putEvents{make([]int, 3)}, Billed{EventBridge: 3}},
		{"DynamoDB", "DescribeTable", nil, Billed{}},
	}
	for _, c := range cases {
		var b Billed
		bill(&b, c.service, c.op, c.params)
		if b != c.want {
			t.Errorf("%s.%s billed %+v, want %+v", c.service, c.op, b, c.want)
		}
	}
	capacity := func(units float64) *dbtypes.ConsumedCapacity {
		return &dbtypes.ConsumedCapacity{CapacityUnits: aws.Float64(units)}
	}
	units := []struct {
		op          string
		result      any
		read, write float64
	}{
		{"Query", &dynamodb.QueryOutput{ConsumedCapacity: capacity(2.5)}, 2.5, 0},
		{"UpdateItem", &dynamodb.UpdateItemOutput{ConsumedCapacity: capacity(2)}, 0, 2},
		{"BatchWriteItem", &dynamodb.BatchWriteItemOutput{ConsumedCapacity: []dbtypes.ConsumedCapacity{*capacity(3), *capacity(4)}}, 0, 7},
		{"BatchGetItem", &dynamodb.BatchGetItemOutput{ConsumedCapacity: []dbtypes.ConsumedCapacity{*capacity(1.5)}}, 1.5, 0},
		{"TransactWriteItems", &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []dbtypes.ConsumedCapacity{
			{CapacityUnits: aws.Float64(6), ReadCapacityUnits: aws.Float64(2), WriteCapacityUnits: aws.Float64(4)}}}, 2, 4},
		{"GetItem", &dynamodb.GetItemOutput{}, 0, 0},
	}
	for _, u := range units {
		if r, w := consumedUnits(u.op, u.result, nil); r != u.read || w != u.write {
			t.Errorf("%s: read %v write %v, want %v and %v", u.op, r, w, u.read, u.write)
		}
	}
}
