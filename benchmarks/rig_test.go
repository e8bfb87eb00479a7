package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/benchmarks/internal/naive"
	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/faultproxy"
	"github.com/batchinfer/batchinfer/internal/samples"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

// inRegion is the latency the delay proxy adds per call: typical in-region
// figures for DynamoDB and SQS, and for S3.
func inRegion(service string) time.Duration {
	if service == faultproxy.S3 {
		return 20 * time.Millisecond
	}
	return 5 * time.Millisecond
}

// rig is one comparison's resources: a shared input bucket, and for each
// handler its own table and results bucket, all reached through one proxy.
type rig struct {
	ctx    context.Context
	proxy  *faultproxy.Proxy // every side's calls go through it: calls counts them
	input  string
	direct aws.Config // straight to the emulators, for setup and checks
	worker *worker.Worker
	quiet  *worker.Worker // the same worker with its EMF metrics off
	naive  *naive.Handler // writes what the worker writes: item + output object
	item   *naive.Handler // writes the DynamoDB item only
	tables map[string]string
}

var rigSeq atomic.Int64

// newRig provisions the resources and wires the real worker and the naive
// handlers to them through a faultproxy that adds delay (nil: none).
func newRig(tb testing.TB, delay func(string) time.Duration) *rig {
	tb.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("%d-%d", time.Now().UnixNano()%1_000_000_000, rigSeq.Add(1))
	r := &rig{ctx: ctx, input: "bench-in-" + id, direct: emu.Config(ctx), tables: map[string]string{}}

	p := faultproxy.StartT(tb, emu.SQSURL, faultproxy.Options{
		Delay:  delay,
		Routes: map[string]string{faultproxy.DynamoDB: emu.DynamoURL, faultproxy.SQS: emu.SQSURL, faultproxy.S3: emu.S3URL},
	})
	r.proxy = p
	cfg := proxiedConfig(tb, p.URL())
	s3c, ddb := store.NewS3Client(cfg), dynamodb.NewFromConfig(cfg)

	provision := func(side string) (store.ProvisionSpec, store.Provisioned) {
		spec := store.ProvisionSpec{
			InputBucket: r.input, ResultsBucket: "bench-out-" + side + "-" + id,
			Queue: "bench-q-" + side + "-" + id, DLQ: "bench-dlq-" + side + "-" + id, Table: "bench-" + side + "-" + id,
		}
		prov, err := store.Provision(ctx, r.direct, spec)
		if err != nil {
			tb.Fatalf("provision %s: %v", side, err)
		}
		r.tables[side] = spec.Table
		return spec, prov
	}

	eng, err := engine.New(served)
	if err != nil {
		tb.Fatal(err)
	}
	r.worker = newWorker(cfg, eng, provision, "worker", r.input, false)
	r.quiet = newWorker(cfg, eng, provision, "quiet", r.input, true)
	newNaive := func(side string, itemOnly bool) *naive.Handler {
		s, _ := provision(side)
		return &naive.Handler{
			Models: served, DynamoDB: ddb, Table: s.Table, ItemOnly: itemOnly,
			Inputs:  &store.Inputs{Client: s3c, MaxBytes: worker.DefaultMaxInputBytes},
			Outputs: &store.Outputs{Client: s3c, Bucket: s.ResultsBucket, Prefix: "results/"},
		}
	}
	r.naive, r.item = newNaive("naive", false), newNaive("item", true)
	return r
}

// newWorker is the real worker on its own table and buckets, through the
// rig's proxy; quiet turns its EMF metrics off.
func newWorker(cfg aws.Config, eng *engine.Engine, provision func(string) (store.ProvisionSpec, store.Provisioned), side, input string, quiet bool) *worker.Worker {
	ws, wp := provision(side)
	s3c, ddb := store.NewS3Client(cfg), dynamodb.NewFromConfig(cfg)
	conf := worker.Config{
		ResultsTable: ws.Table, ResultsBucket: ws.ResultsBucket, ResultsPrefix: "results/", DLQURL: wp.DLQURL,
		InputBuckets: []string{input}, MaxInputBytes: worker.DefaultMaxInputBytes, MaxReceives: worker.DefaultMaxReceives,
		ResultTTL: time.Hour, DeadlineMargin: worker.DefaultDeadlineMargin,
	}
	conf.Metrics.Disabled, conf.Metrics.MemoryMB = quiet, 1769
	return &worker.Worker{
		Engine: eng, Config: conf,
		Results:     &store.Results{Client: ddb, Table: ws.Table, TTL: conf.ResultTTL},
		Inputs:      &store.Inputs{Client: s3c, MaxBytes: conf.MaxInputBytes},
		Outputs:     &store.Outputs{Client: s3c, Bucket: ws.ResultsBucket, Prefix: conf.ResultsPrefix},
		DeadLetters: &store.DeadLetters{Client: sqs.NewFromConfig(cfg), QueueURL: wp.DLQURL},
		// The worker logs one JSON line per job and its metrics, as in
		// Lambda; formatting them is part of its cost, shipping is not.
		Log:        slog.New(slog.NewJSONHandler(io.Discard, nil)),
		MetricsOut: io.Discard,
	}
}

// proxiedConfig sends every service to endpoint (the proxy routes them)
// with the SDK's retries off, as store.LoadAWSConfig does for the worker.
func proxiedConfig(tb testing.TB, endpoint string) aws.Config {
	tb.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(emulators.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(emulators.AccessKeyID, emulators.SecretAccessKey, "")),
		config.WithRetryMaxAttempts(1),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		tb.Fatalf("AWS config: %v", err)
	}
	return cfg
}

// handlers are the three sides of a comparison, by name, in run order.
func (r *rig) handlers() []side {
	return []side{
		{"worker", func(ctx context.Context, p []byte) (any, error) { return r.worker.Handle(ctx, p) }},
		{"quiet", func(ctx context.Context, p []byte) (any, error) { return r.quiet.Handle(ctx, p) }},
		{"naive", func(ctx context.Context, p []byte) (any, error) { return r.naive.Handle(ctx, p) }},
		{"item", func(ctx context.Context, p []byte) (any, error) { return r.item.Handle(ctx, p) }},
	}
}

type side struct {
	name   string
	handle func(ctx context.Context, payload []byte) (any, error)
}

// invoke calls h as Lambda would, with a 15-minute deadline, and fails
// unless every record was acknowledged.
func invoke(tb testing.TB, h side, payload []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := h.handle(ctx, payload)
	if err != nil {
		tb.Fatalf("%s: handle: %v", h.name, err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		tb.Fatalf("%s answered %T, want events.SQSEventResponse", h.name, out)
	}
	if n := len(resp.BatchItemFailures); n > 0 {
		tb.Fatalf("%s: %d records left for retry, first %s", h.name, n, resp.BatchItemFailures[0].ItemIdentifier)
	}
}

// irisEvents makes n inline iris jobs, ids unique to tag, in SQS events of
// per records each.
func irisEvents(tb testing.TB, tag string, n, per int) [][]byte {
	return sqsEvents(tb, tag, irisBodies(tb, tag, n), per)
}

func irisBodies(tb testing.TB, tag string, n int) []string {
	tb.Helper()
	samples, err := samples.Inputs(iris.Manifest(), n, 7)
	if err != nil {
		tb.Fatal(err)
	}
	bodies := make([]string, n)
	for i, s := range samples {
		bodies[i] = fmt.Sprintf(`{"job_id":"iris-%s-%04d","model":%q,"input":%s}`, tag, i, iris.Name(), s.Data)
	}
	return bodies
}

// ocrEvents uploads n rendered text lines under a key prefix unique to tag
// and returns their S3 notifications in SQS events of per records each,
// and the rendered texts by key.
func (r *rig) ocrEvents(tb testing.TB, tag string, n, per int) ([][]byte, map[string]string) {
	bodies, texts := r.ocrUpload(tb, tag, n)
	return sqsEvents(tb, tag, bodies, per), texts
}

func (r *rig) ocrBodies(tb testing.TB, tag string, n int) []string {
	bodies, _ := r.ocrUpload(tb, tag, n)
	return bodies
}

func (r *rig) ocrUpload(tb testing.TB, tag string, n int) ([]string, map[string]string) {
	tb.Helper()
	samples, err := samples.Inputs(ocr.Manifest(), n, 11)
	if err != nil {
		tb.Fatal(err)
	}
	s3c := store.NewS3Client(r.direct)
	bodies, texts := make([]string, n), map[string]string{}
	for i, s := range samples {
		key := tag + "/" + s.Name
		out, err := s3c.PutObject(r.ctx, &s3.PutObjectInput{Bucket: &r.input, Key: &key, Body: bytes.NewReader(s.Data)})
		if err != nil {
			tb.Fatalf("upload s3://%s/%s: %v", r.input, key, err)
		}
		bodies[i] = jobs.S3Notification(emulators.Region, jobs.S3Object{Bucket: r.input, Key: key, ETag: aws.ToString(out.ETag), Size: int64(len(s.Data))})
		texts[key] = s.Text
	}
	return bodies, texts
}

// sqsEvents wraps bodies in SQS records as Lambda's event source mapping
// delivers them, per records to an event.
func sqsEvents(tb testing.TB, tag string, bodies []string, per int) [][]byte {
	tb.Helper()
	var out [][]byte
	sent := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for start := 0; start < len(bodies); start += per {
		var ev events.SQSEvent
		for i := start; i < min(start+per, len(bodies)); i++ {
			id := fmt.Sprintf("msg-%s-%04d", tag, i)
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: id, ReceiptHandle: "rh-" + id, Body: bodies[i], EventSource: "aws:sqs",
				EventSourceARN: "arn:aws:sqs:us-east-1:000000000000:jobs", AWSRegion: emulators.Region,
				Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": sent},
			})
		}
		b, err := json.Marshal(ev)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// succeeded counts a table's SUCCEEDED items (read directly, no delay).
func (r *rig) succeeded(tb testing.TB, side string) int {
	tb.Helper()
	c := dynamodb.NewFromConfig(r.direct)
	n := 0
	var start map[string]ddbtypes.AttributeValue
	for {
		out, err := c.Scan(r.ctx, &dynamodb.ScanInput{
			TableName: aws.String(r.tables[side]), ExclusiveStartKey: start, Select: ddbtypes.SelectCount,
			FilterExpression:          aws.String("#s = :s"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":s": &ddbtypes.AttributeValueMemberS{Value: string(store.StatusSucceeded)}},
		})
		if err != nil {
			tb.Fatalf("scan %s: %v", r.tables[side], err)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n
		}
		start = out.LastEvaluatedKey
	}
}

// record reads one job's item from side's table.
func (r *rig) record(tb testing.TB, side, jobID string) *store.Record {
	tb.Helper()
	rec, err := (&store.Results{Client: dynamodb.NewFromConfig(r.direct), Table: r.tables[side]}).Get(r.ctx, jobID)
	if err != nil || rec == nil {
		tb.Fatalf("%s: get %s: %v (found: %v)", side, jobID, err, rec != nil)
	}
	return rec
}

// mergeEvents joins the records of SQS events into one event.
func mergeEvents(tb testing.TB, payloads ...[]byte) []byte {
	tb.Helper()
	var all events.SQSEvent
	for _, p := range payloads {
		var ev events.SQSEvent
		if err := json.Unmarshal(p, &ev); err != nil {
			tb.Fatal(err)
		}
		all.Records = append(all.Records, ev.Records...)
	}
	b, err := json.Marshal(all)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// calls is how many AWS requests have gone through the rig's proxy.
func (r *rig) calls() int {
	n := 0
	for _, c := range r.proxy.Counts() {
		n += c.Calls
	}
	return n
}
