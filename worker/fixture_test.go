package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/store"
)

// One pair of emulators and one set of loaded models serve the package:
// starting them is the slow part, and each test gets its own buckets,
// queues and table.
var (
	emu    *emulators.Env
	models []*model.Model
)

func TestMain(m *testing.M) {
	testenv.Main(m, emulators.Step(&emu),
		modelenv.Load(&models, model.Options{IntraOpThreads: 1}, "iris-rf", "ppocr-rec", "ppocr-cls", "text/minilm-embed"))
}

// fixture is one test's AWS resources and a Worker wired to them through
// the real store adapters.
type fixture struct {
	t          *testing.T
	ctx        context.Context
	spec       store.ProvisionSpec
	prov       store.Provisioned
	w          *Worker
	s3         *s3.Client
	sqs        *sqs.Client
	ddb        *dynamodb.Client
	table      *store.Results
	logBuf     *strings.Builder
	metricsBuf *testenv.Buffer // the EMF documents the worker wrote
}

var (
	nonName     = regexp.MustCompile(`[^a-z0-9-]+`)
	fixtureRuns atomic.Int64
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	// Registered first, so it runs last: the package shares one pair of
	// emulators, and one that died says so in the test it died in.
	t.Cleanup(func() {
		if err := emu.Alive(); err != nil {
			t.Errorf("an emulator died: %v", err)
		}
	})
	ctx := context.Background()
	cfg := emu.Config(ctx)
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	// A run number keeps -count=N runs (one emulator pair for all) apart.
	name = strings.Trim(name, "-") + "-" + strconv.FormatInt(fixtureRuns.Add(1), 36)
	spec := store.ProvisionSpec{
		InputBucket: "in-" + name, ResultsBucket: "out-" + name,
		Queue: "q-" + name, DLQ: "dlq-" + name, Table: "t-" + name,
		MaxReceives: 3, VisibilityTimeout: 30 * time.Second,
	}
	prov, err := store.Provision(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	f := &fixture{t: t, ctx: ctx, spec: spec, prov: prov,
		s3: store.NewS3Client(cfg), sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), logBuf: &strings.Builder{}, metricsBuf: &testenv.Buffer{}}
	f.table = &store.Results{Client: f.ddb, Table: spec.Table, TTL: time.Hour}
	conf := Config{
		ResultsTable: spec.Table, ResultsBucket: spec.ResultsBucket, ResultsPrefix: "results/",
		DLQURL: prov.DLQURL, QueueURL: prov.QueueURL, InputBuckets: []string{spec.InputBucket},
		MaxInputBytes: 1 << 20, MaxReceives: 3, ResultTTL: time.Hour,
		DeadlineMargin: 500 * time.Millisecond, RetryBase: time.Second, RetryMax: 10 * time.Second,
	}
	f.w = &Worker{
		Config:      conf,
		Results:     f.table,
		Inputs:      &store.Inputs{Client: f.s3, MaxBytes: conf.MaxInputBytes},
		Outputs:     &store.Outputs{Client: f.s3, Bucket: spec.ResultsBucket, Prefix: conf.ResultsPrefix},
		DeadLetters: &store.DeadLetters{Client: f.sqs, QueueURL: prov.DLQURL},
		Reprocessor: &reprocess.Reprocessor{Results: f.table, Queue: f.queue(), Objects: &store.Objects{Client: f.s3}},
		Log:         slog.New(slog.NewJSONHandler(io.MultiWriter(f.logBuf, testWriter{t}), nil)),
		MetricsOut:  f.metricsBuf,
		// Retries come back after their backoff (RetryBase 1 s), as deployed.
		Redeliveries: &store.SourceQueues{Client: f.sqs, QueueURL: prov.QueueURL},
	}
	f.serve(models...)
	return f
}

// serve makes the worker serve ms, the first the default model.
func (f *fixture) serve(ms ...*model.Model) {
	f.t.Helper()
	eng, err := engine.New(ms)
	if err != nil {
		f.t.Fatalf("serve: %v", err)
	}
	f.w.Engine = eng
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// put uploads an input object.
func (f *fixture) put(bucket, key string, data []byte) {
	f.t.Helper()
	if _, err := f.s3.PutObject(f.ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(string(data))}); err != nil {
		f.t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// putSetosa puts a setosa iris's features in the input bucket under each key.
func (f *fixture) putSetosa(keys ...string) {
	f.t.Helper()
	for _, k := range keys {
		f.put(f.spec.InputBucket, k, []byte(`{"features":[5.1,3.5,1.4,0.2]}`))
	}
}

// message is one SQS record as Lambda delivers it.
func message(id, body string, receiveCount int) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "rh-" + id, Body: body, EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-east-1:000000000000:jobs", AWSRegion: "us-east-1",
		Attributes: map[string]string{
			"ApproximateReceiveCount": strconv.Itoa(receiveCount),
			"SentTimestamp":           strconv.FormatInt(time.Now().UnixMilli(), 10),
		},
	}
}

// s3Notification is the body S3 sends to SQS for one new object.
func s3Notification(bucket, key, etag string) string {
	return jobs.S3Notification("us-east-1", jobs.S3Object{Bucket: bucket, Key: key, ETag: etag, Size: 1})
}

func inlineJob(id, modelName string, input map[string]any) string {
	j := jobs.InlineJob{JobID: id, Model: modelName}
	switch {
	case input["s3"] != nil:
		j.S3 = input["s3"].(string)
	case input["features"] != nil:
		j.Features, _ = json.Marshal(input["features"])
	case input["data_base64"] != nil:
		j.Data, _ = base64.StdEncoding.DecodeString(input["data_base64"].(string))
	}
	body, err := j.Body()
	if err != nil {
		panic(fmt.Sprintf("inline job %s: %v", id, err))
	}
	return body
}

// invoke runs the handler as Lambda would and returns the message ids it
// asked SQS to redeliver.
func (f *fixture) invoke(ctx context.Context, msgs ...events.SQSMessage) []string {
	f.t.Helper()
	payload, err := json.Marshal(events.SQSEvent{Records: msgs})
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := f.w.Handle(ctx, payload)
	if err != nil {
		f.t.Fatalf("handle: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		f.t.Fatalf("handler answered %T, want events.SQSEventResponse", out)
	}
	var ids []string
	for _, it := range resp.BatchItemFailures {
		ids = append(ids, it.ItemIdentifier)
	}
	return ids
}

func (f *fixture) item(jobID string) *store.Record {
	f.t.Helper()
	rec, err := f.table.Get(f.ctx, jobID)
	if err != nil {
		f.t.Fatalf("get %s: %v", jobID, err)
	}
	return rec
}

// deadLetters drains the DLQ and returns the messages by job_id attribute.
func (f *fixture) deadLetters() map[string]sqstypes.Message {
	f.t.Helper()
	got := map[string]sqstypes.Message{}
	for range 10 {
		out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &f.prov.DLQURL, MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 0,
		})
		if err != nil {
			f.t.Fatalf("receive DLQ: %v", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.MessageAttributes["job_id"].StringValue)] = m
		}
	}
	return got
}

func attr(m sqstypes.Message, name string) string {
	if v, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}
