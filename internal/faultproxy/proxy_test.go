package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

var emu *emulators.Env

func TestMain(m *testing.M) { testenv.Main(m, emulators.Step(&emu)) }

// clients talk to the emulators, through the proxy p when it is not nil.
// retryer nil means no retries, so the first fault is what the call sees.
type clients struct {
	ddb *dynamodb.Client
	sqs *sqs.Client
	s3  *s3.Client
}

func newClients(p *Proxy, retryer func() aws.Retryer) clients {
	cfg := emu.Config(context.Background())
	if retryer == nil {
		retryer = func() aws.Retryer { return aws.NopRetryer{} }
	}
	cfg.Retryer = retryer
	endpoint := func(direct string) *string {
		if p == nil {
			return aws.String(direct)
		}
		return aws.String(p.URL())
	}
	return clients{
		ddb: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = endpoint(emu.DynamoURL) }),
		sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = endpoint(emu.SQSURL) }),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = endpoint(emu.S3URL)
			o.UsePathStyle = true
		}),
	}
}

// routes sends each service to its emulator: fauxqs for SQS and S3,
// dynalite for DynamoDB.
func routes() map[string]string {
	return map[string]string{DynamoDB: emu.DynamoURL, SQS: emu.SQSURL, S3: emu.S3URL}
}

func uniq(t *testing.T, prefix string) string {
	return strings.ToLower(fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()))
}

// creators make one resource per service through c and report whether
// it exists when looked up through direct.
type creator struct {
	service string
	create  func(ctx context.Context, c clients, name string) error
	exists  func(ctx context.Context, direct clients, name string) bool
}

var creators = []creator{
	{
		service: DynamoDB,
		create: func(ctx context.Context, c clients, name string) error {
			_, err := c.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            aws.String(name),
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("k"), KeyType: ddbtypes.KeyTypeHash}},
				BillingMode:          ddbtypes.BillingModePayPerRequest,
			})
			return err
		},
		exists: func(ctx context.Context, d clients, name string) bool {
			_, err := d.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			return err == nil
		},
	},
	{
		service: SQS,
		create: func(ctx context.Context, c clients, name string) error {
			_, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			return err
		},
		exists: func(ctx context.Context, d clients, name string) bool {
			_, err := d.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
			return err == nil
		},
	},
	{
		service: S3,
		create: func(ctx context.Context, c clients, name string) error {
			_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			return err
		},
		exists: func(ctx context.Context, d clients, name string) bool {
			_, err := d.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
			return err == nil
		},
	},
}

// TestInjectedFaultsAreRetryable: every injected fault parses, in the
// real SDK client, as the service's own error code, and the SDK's default
// retry policy classifies it as retryable (and throttles as throttles).
// Faults come before forwarding, so the emulator never saw the call.
func TestInjectedFaultsAreRetryable(t *testing.T) {
	wantCode := map[string]map[Kind]string{
		DynamoDB: {ServerError: "InternalServerError", Throttle: "ThrottlingException"},
		SQS:      {ServerError: "InternalError", Throttle: "RequestThrottled"},
		S3:       {ServerError: "InternalError", Throttle: "SlowDown"},
	}
	direct := newClients(nil, nil)
	for _, cr := range creators {
		for _, kind := range []Kind{ServerError, Throttle} {
			t.Run(cr.service+"/"+kind.String(), func(t *testing.T) {
				ctx := context.Background()
				p := StartT(t, emu.SQSURL, Options{FailRate: 1, Kinds: []Kind{kind}, Routes: routes()})
				name := uniq(t, "fault")
				err := cr.create(ctx, newClients(p, nil), name)
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v is not an API error", err)
				}
				if apiErr.ErrorCode() != wantCode[cr.service][kind] {
					t.Fatalf("error code %q, want %q (%v)", apiErr.ErrorCode(), wantCode[cr.service][kind], err)
				}
				if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err); got != aws.TrueTernary {
					t.Fatalf("SDK retryable = %v for %v", got, err)
				}
				if kind == Throttle {
					if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err); got != aws.TrueTernary {
						t.Fatalf("SDK throttle = %v for %v", got, err)
					}
				}
				if cr.exists(ctx, direct, name) {
					t.Fatalf("the emulator saw a call the client was told failed")
				}
				c := p.Counts()[cr.service]
				if c.Calls != 1 || c.Injected != 1 {
					t.Fatalf("counts %+v, want 1 call, 1 injected", c)
				}
			})
		}
	}
}

// TestFailAfterForward: the call takes effect and the client still sees a
// retryable failure.
func TestFailAfterForward(t *testing.T) {
	direct := newClients(nil, nil)
	for _, cr := range creators {
		t.Run(cr.service, func(t *testing.T) {
			ctx := context.Background()
			p := StartT(t, emu.SQSURL, Options{FailAfterForward: 1, Routes: routes(), Seed: 3})
			name := uniq(t, "after")
			err := cr.create(ctx, newClients(p, nil), name)
			if err == nil || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
				t.Fatalf("error %v, want a retryable fault", err)
			}
			if !cr.exists(ctx, direct, name) {
				t.Fatalf("the call did not reach the emulator")
			}
			if c := p.Counts()[cr.service]; c.InjectedAfterForward != 1 || c.Injected != 0 {
				t.Fatalf("counts %+v", c)
			}
		})
	}
}

// TestSDKRetriesThroughFaults: with a fault on a third of the calls, the
// SDK's standard retryer (with a fast backoff) completes every call, and
// nothing is written twice: the faults came before forwarding.
func TestSDKRetriesThroughFaults(t *testing.T) {
	ctx := context.Background()
	var delayed sync.Map
	p := StartT(t, emu.SQSURL, Options{
		FailRate: 0.33, Seed: 42, Routes: routes(),
		Delay: func(s string) time.Duration { delayed.Store(s, true); return time.Millisecond },
	})
	fast := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	c := newClients(p, fast)
	q := uniq(t, "retry")
	out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for i := range n {
		if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String(fmt.Sprint(i))}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	attrs, err := newClients(nil, nil).sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Attributes["ApproximateNumberOfMessages"]; got != fmt.Sprint(n) {
		t.Fatalf("%s messages on the queue, want exactly %d", got, n)
	}
	cnt := p.Counts()[SQS]
	if cnt.Injected == 0 || cnt.Calls != n+1+cnt.Injected {
		t.Fatalf("counts %+v: want some faults and calls = %d + retries", cnt, n+1)
	}
	if _, ok := delayed.Load(SQS); !ok {
		t.Fatal("Delay was not asked about sqs")
	}
}

// TestServicesFilterAndCounts: faults only hit the listed services; every
// call is counted under the service its request belongs to.
func TestServicesFilterAndCounts(t *testing.T) {
	ctx := context.Background()
	p := StartT(t, emu.SQSURL, Options{FailRate: 1, Services: []string{S3}, Routes: routes()})
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s is not on 127.0.0.1", p.URL())
	}
	c := newClients(p, nil)
	if _, err := c.ddb.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("dynamodb through the proxy: %v", err)
	}
	if _, err := c.sqs.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("sqs through the proxy: %v", err)
	}
	if _, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Fatal("s3 call succeeded, want an injected fault")
	}
	got := p.Counts()
	want := map[string]Counts{DynamoDB: {Calls: 1}, SQS: {Calls: 1}, S3: {Calls: 1, Injected: 1}}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("%s counts %+v, want %+v", s, got[s], w)
		}
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{FailRate: -0.1}, {FailRate: 1.5}, {FailRate: 0.6, FailAfterForward: 0.6}} {
		if _, err := Start(context.Background(), emu.SQSURL, o); err == nil {
			t.Errorf("Start accepted %+v", o)
		}
	}
	if _, err := Start(context.Background(), "not a url", Options{}); err == nil {
		t.Error("Start accepted a bad target")
	}
}

// TestPassThrough: without faults, S3 object bodies (signed, checksummed
// uploads) and DynamoDB items go through untouched.
func TestPassThrough(t *testing.T) {
	ctx := context.Background()
	p := StartT(t, emu.SQSURL, Options{Routes: routes()})
	c := newClients(p, nil)
	bucket := uniq(t, "pass")
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("batchinfer ", 50_000)
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b.txt"), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b.txt")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer got.Body.Close()
	b, err := io.ReadAll(got.Body)
	if err != nil || string(b) != body {
		t.Fatalf("read %d bytes (%v), want the %d put", len(b), err, len(body))
	}
	if n := p.Counts()[S3].Calls; n != 3 {
		t.Fatalf("%d S3 calls counted, want 3", n)
	}
}
