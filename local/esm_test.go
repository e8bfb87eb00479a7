package local

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/store"
)

// queue is one fresh fauxqs queue for a test.
type queue struct {
	sqs      *sqs.Client
	url, arn string
}

func newQueue(t *testing.T, visibility time.Duration) queue {
	t.Helper()
	ctx := context.Background()
	c := sqs.NewFromConfig(emu.Config(ctx))
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(int(visibility / time.Second))},
	})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue ARN: %v", err)
	}
	return queue{sqs: c, url: *out.QueueUrl, arn: attrs.Attributes["QueueArn"]}
}

func (q queue) send(t *testing.T, bodies ...string) []string {
	t.Helper()
	var ids []string
	for _, b := range bodies {
		out, err := q.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(b)})
		if err != nil {
			t.Fatalf("send %q: %v", b, err)
		}
		ids = append(ids, *out.MessageId)
	}
	return ids
}

// remaining counts the messages still on the queue, visible or in flight:
// what the ESM did not delete.
func (q queue) remaining(t *testing.T) int {
	t.Helper()
	b, err := (&store.Queue{Client: q.sqs, URL: q.url}).Backlog(context.Background())
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	return b.Visible + b.InFlight
}

// drain waits until no message is left on the queue, or within passes,
// and says how long it waited.
func (q queue) drain(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for q.remaining(t) > 0 && time.Since(start) < within {
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// wantEmpty fails the test if messages are left on the queue; after says
// at which point of the test.
func (q queue) wantEmpty(t *testing.T, after string) {
	t.Helper()
	if n := q.remaining(t); n != 0 {
		t.Fatalf("%d messages left %s", n, after)
	}
}

// receiveAll receives until n messages came back or the deadline passes.
func (q queue) receiveAll(t *testing.T, n int, within time.Duration) []types.Message {
	t.Helper()
	var got []types.Message
	deadline := time.Now().Add(within)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := q.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &q.url, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		got = append(got, out.Messages...)
		if len(out.Messages) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return got
}

func (q queue) esm(r *RIE, batch int, window time.Duration) *ESM {
	return &ESM{SQS: q.sqs, QueueURL: q.url, BatchSize: batch, Window: window, Invoke: r.Invoke, ReportBatchItemFailures: true}
}

func cycle(t *testing.T, e *ESM) CycleStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := e.Cycle(ctx)
	if err != nil {
		t.Fatalf("Cycle: %v", err)
	}
	return st
}

// TestESMPartialBatchFailure: successes are deleted; reported failures
// come back after the visibility timeout with ApproximateReceiveCount 2.
func TestESMPartialBatchFailure(t *testing.T) {
	r := startRIE(t, 0)
	q := newQueue(t, time.Second)
	ids := q.send(t, "ok-1", "fail-1", "ok-2", "fail-2", "ok-3")
	st := cycle(t, q.esm(r, 10, 500*time.Millisecond))
	if st.Received != 5 || st.Deleted != 3 || st.Failed != 2 || st.InvokeErr != nil {
		t.Fatalf("stats %+v, want 5 received, 3 deleted, 2 failed", st)
	}
	back := q.receiveAll(t, 2, 5*time.Second)
	var gotIDs []string
	for _, m := range back {
		gotIDs = append(gotIDs, *m.MessageId)
		if c := m.Attributes["ApproximateReceiveCount"]; c != "2" {
			t.Errorf("message %s ApproximateReceiveCount %s, want 2", *m.Body, c)
		}
	}
	slices.Sort(gotIDs)
	want := []string{ids[1], ids[3]}
	slices.Sort(want)
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("redelivered %v, want the two failed ones %v", gotIDs, want)
	}
	if n := q.remaining(t); n != 2 {
		t.Fatalf("%d messages on the queue, want only the 2 failures", n)
	}
}

// TestESMWholeBatchOutcomes drives each response Lambda treats as a
// complete success or a complete failure through the real function.
func TestESMWholeBatchOutcomes(t *testing.T) {
	r := startRIE(t, 1*time.Second)
	tests := []struct {
		poison     string // body of the record that decides the outcome
		deleteAll  bool
		invokeType string // FunctionError.Type expected, "" = a response judged invalid or none
	}{
		{"null", true, ""},
		{"emptylist", true, ""},
		{"unknownid", false, ""},
		{"emptyid", false, ""},
		{"error", false, "errorString"},
		{"crash", false, "Runtime.ExitError"},
		{"panic", false, "string"},
		{"sleep", false, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.poison, func(t *testing.T) {
			q := newQueue(t, 30*time.Second)
			q.send(t, "ok-a", "ok-b", tt.poison, "ok-c")
			st := cycle(t, q.esm(r, 10, 300*time.Millisecond))
			if st.Received != 4 {
				t.Fatalf("received %d, want 4", st.Received)
			}
			wantLeft := 4
			if tt.deleteAll {
				wantLeft = 0
			}
			if n := q.remaining(t); n != wantLeft || st.Deleted != 4-wantLeft {
				t.Fatalf("%d left on the queue (stats %+v), want %d", n, st, wantLeft)
			}
			if tt.deleteAll != (st.InvokeErr == nil) {
				t.Fatalf("InvokeErr = %v", st.InvokeErr)
			}
			var fe *FunctionError
			if tt.invokeType != "" && (!errors.As(st.InvokeErr, &fe) || fe.Type != tt.invokeType) {
				t.Fatalf("InvokeErr = %v, want a %s function error", st.InvokeErr, tt.invokeType)
			}
		})
	}
}

// TestESMWithoutReportBatchItemFailures: the response is ignored and any
// successful invocation deletes the whole batch, failures listed or not.
func TestESMWithoutReportBatchItemFailures(t *testing.T) {
	r := startRIE(t, 0)
	q := newQueue(t, 30*time.Second)
	q.send(t, "ok-a", "fail-b", "unknownid")
	e := q.esm(r, 10, 200*time.Millisecond)
	e.ReportBatchItemFailures = false
	if st := cycle(t, e); st.Deleted != 3 || q.remaining(t) != 0 {
		t.Fatalf("stats %+v, %d left: want all deleted", st, q.remaining(t))
	}
}

// TestESMCrashDeletesNothing: the function dies mid-batch; nothing is
// deleted and every message comes back after the visibility timeout.
func TestESMCrashDeletesNothing(t *testing.T) {
	r := startRIE(t, 0)
	q := newQueue(t, time.Second)
	q.send(t, "ok-a", "ok-b", "crash", "ok-c")
	st := cycle(t, q.esm(r, 10, 300*time.Millisecond))
	if st.Deleted != 0 || st.Failed != 4 || st.InvokeErr == nil {
		t.Fatalf("stats %+v, want nothing deleted and a function error", st)
	}
	back := q.receiveAll(t, 4, 5*time.Second)
	if len(back) != 4 {
		t.Fatalf("%d messages came back, want 4", len(back))
	}
}

// TestESMBatchingWindow: one cycle keeps receiving, 10 at a time, until
// BatchSize; the default BatchSize is 10.
func TestESMBatchingWindow(t *testing.T) {
	r := startRIE(t, 0)
	tests := []struct {
		batch, send, want int
	}{
		{batch: 25, send: 25, want: 25},
		{batch: 0, send: 15, want: 10},
		{batch: 3, send: 5, want: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.batch), func(t *testing.T) {
			q := newQueue(t, 30*time.Second)
			bodies := make([]string, tt.send)
			for i := range bodies {
				bodies[i] = fmt.Sprintf("ok-%d", i)
			}
			q.send(t, bodies...)
			st := cycle(t, q.esm(r, tt.batch, 2*time.Second))
			if st.Received != tt.want || st.Deleted != tt.want {
				t.Fatalf("stats %+v, want %d received and deleted", st, tt.want)
			}
			if n := q.remaining(t); n != tt.send-tt.want {
				t.Fatalf("%d left, want %d", n, tt.send-tt.want)
			}
		})
	}
}

// TestESMEventShape checks the event the function received against the
// fields Lambda sends (aws-lambda-go's own sample event) and their values.
func TestESMEventShape(t *testing.T) {
	r, log := startLoggingRIE(t)
	q := newQueue(t, 30*time.Second)
	body := `{"input":{"features":[5.1,3.5,1.4,0.2]}}`
	out, err := q.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s": {DataType: aws.String("String"), StringValue: aws.String("hello")},
			"n": {DataType: aws.String("Number"), StringValue: aws.String("42")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute).UnixMilli()
	if st := cycle(t, q.esm(r, 10, 0)); st.Deleted != 1 {
		t.Fatalf("stats %+v", st)
	}
	rec := loggedRecord(t, log)
	// Every key of a real Lambda SQS record is present.
	for _, k := range sampleRecordKeys(t) {
		if _, ok := rec[k]; !ok {
			t.Errorf("record lacks %q: %v", k, rec)
		}
	}
	sum := md5.Sum([]byte(body))
	for k, want := range map[string]string{
		"messageId": *out.MessageId, "body": body, "md5OfBody": hex.EncodeToString(sum[:]),
		"eventSource": "aws:sqs", "eventSourceARN": q.arn, "awsRegion": emu.Region,
	} {
		if got := recordString(t, rec, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if recordString(t, rec, "receiptHandle") == "" || recordString(t, rec, "md5OfMessageAttributes") == "" {
		t.Errorf("receiptHandle or md5OfMessageAttributes empty: %v", rec)
	}
	checkRecordAttributes(t, rec["attributes"], before)
	checkMessageAttributes(t, rec["messageAttributes"])
}

// loggedRecord is the one record of the one event the function logged.
func loggedRecord(t *testing.T, log string) map[string]json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ Records []map[string]json.RawMessage }
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("event %s: %v", raw, err)
	}
	return ev.Records[0]
}

// recordString is the string at key k of a record.
func recordString(t *testing.T, rec map[string]json.RawMessage, k string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(rec[k], &s); err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return s
}

// checkRecordAttributes: a first delivery, sent and received after before
// (epoch milliseconds), by a sender.
func checkRecordAttributes(t *testing.T, raw json.RawMessage, before int64) {
	t.Helper()
	var attrs map[string]string
	if err := json.Unmarshal(raw, &attrs); err != nil {
		t.Fatal(err)
	}
	if attrs["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount %q, want 1", attrs["ApproximateReceiveCount"])
	}
	for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
		if ms, err := strconv.ParseInt(attrs[k], 10, 64); err != nil || ms < before {
			t.Errorf("%s = %q, want a recent epoch-millisecond time", k, attrs[k])
		}
	}
	if attrs["SenderId"] == "" {
		t.Errorf("SenderId missing: %v", attrs)
	}
}

// checkMessageAttributes: the string, number and binary attributes sent,
// in Lambda's camel-case shape.
func checkMessageAttributes(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var mattrs map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &mattrs); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]map[string]string{
		"s": {"dataType": `"String"`, "stringValue": `"hello"`, "stringListValues": `[]`, "binaryListValues": `[]`},
		"n": {"dataType": `"Number"`, "stringValue": `"42"`},
		"b": {"dataType": `"Binary"`, "binaryValue": `"AAEC/w=="`},
	} {
		for k, v := range want {
			if got := string(mattrs[name][k]); got != v {
				t.Errorf("messageAttributes.%s.%s = %s, want %s", name, k, got, v)
			}
		}
	}
}

// sampleRecordKeys reads the record keys of aws-lambda-go's real sample
// SQS event from the module cache.
func sampleRecordKeys(t *testing.T) []string {
	t.Helper()
	var ev struct{ Records []map[string]json.RawMessage }
	if err := json.Unmarshal(testenv.LambdaSample(t, "sqs-event.json"), &ev); err != nil || len(ev.Records) == 0 {
		t.Fatalf("sample event: %v", err)
	}
	var keys []string
	for k := range ev.Records[0] {
		keys = append(keys, k)
	}
	if len(keys) < 10 {
		t.Fatalf("sample record has only %v", keys)
	}
	return keys
}

// TestESMRun drains a queue in the background and stops with its context.
func TestESMRun(t *testing.T) {
	r := startRIE(t, 0)
	q := newQueue(t, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.esm(r, 10, 100*time.Millisecond).Run(ctx) }()
	bodies := make([]string, 23)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("ok-%d", i)
	}
	q.send(t, bodies...)
	q.drain(t, 20*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	q.wantEmpty(t, "after Run stopped")
}

// TestESMHandlerKilledMidBatch plays the crash end-to-end test: the
// function is SIGKILLed while it holds a batch; nothing is deleted, and
// after the visibility timeout the batch is redelivered (receive count 2)
// to a fresh function process that completes it.
func TestESMHandlerKilledMidBatch(t *testing.T) {
	r, log := startLoggingRIE(t)
	q := newQueue(t, time.Second)
	q.send(t, "ok-a", "hang1-b", "ok-c")
	e := q.esm(r, 10, 300*time.Millisecond)

	type result struct {
		st  CycleStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := e.Cycle(ctx)
		done <- result{st, err}
	}()
	waitForFile(t, log) // then the function holds the batch
	pids := r.HandlerPIDs()
	if len(pids) != 1 {
		t.Fatalf("HandlerPIDs = %v, want the one function process", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	res := <-done
	var fe *FunctionError
	if res.err != nil || res.st.Deleted != 0 || !errors.As(res.st.InvokeErr, &fe) || fe.Type != "Runtime.ExitError" {
		t.Fatalf("killed cycle: stats %+v, err %v; want nothing deleted and Runtime.ExitError", res.st, res.err)
	}

	// After the visibility timeout the same batch comes back, and RIE
	// starts a new function process for it.
	deadline := time.Now().Add(10 * time.Second)
	var st CycleStats
	for time.Now().Before(deadline) {
		if st = cycle(t, e); st.Received > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.Received != 3 || st.Deleted != 3 || st.InvokeErr != nil {
		t.Fatalf("redelivery cycle: %+v, want all 3 received and deleted", st)
	}
	if again := r.HandlerPIDs(); len(again) != 1 || again[0] == pids[0] {
		t.Fatalf("HandlerPIDs after redelivery = %v, want a new process (killed %d)", again, pids[0])
	}
	q.wantEmpty(t, "after the redelivery")
}

// TestESMDeleteCounts: deleteMessages reports how many SQS confirmed.
func TestESMDeleteCounts(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t, 30*time.Second)
	q.send(t, "a", "b", "c")
	msgs := q.receiveAll(t, 3, 5*time.Second)
	missing := &ESM{SQS: q.sqs, QueueURL: q.url + "-missing"}
	if n, err := missing.deleteMessages(ctx, msgs); n != 0 || err == nil {
		t.Errorf("delete on a missing queue: %d, %v; want 0 and an error", n, err)
	}
	e := &ESM{SQS: q.sqs, QueueURL: q.url}
	if n, err := e.deleteMessages(ctx, msgs); n != 3 || err != nil {
		t.Errorf("delete: %d, %v; want 3", n, err)
	}
	q.wantEmpty(t, "after the delete")
}

// TestESMKeepsOneBatchInFlightPerInstance: four instances, each under its
// own RIE, take four batches at once (Lambda's MaximumConcurrency), and no
// instance ever gets a second invoke while one runs (RIE serves one).
func TestESMKeepsOneBatchInFlightPerInstance(t *testing.T) {
	const n = 4
	q := newQueue(t, 30*time.Second)
	var inFlight, most atomic.Int32
	instances := make([]InvokeFunc, n)
	for i := range instances {
		r := startRIE(t, 0)
		var busy atomic.Int32
		instances[i] = func(ctx context.Context, payload []byte) ([]byte, error) {
			if busy.Add(1) > 1 {
				t.Errorf("instance %d invoked while busy", i)
			}
			defer busy.Add(-1)
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			return r.Invoke(ctx, payload)
		}
	}
	e := q.esm(nil, 2, 0)
	e.Invoke, e.Instances = nil, instances
	bodies := make([]string, 16)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("wait-%d", i)
	}
	q.send(t, bodies...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	took := q.drain(t, 30*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// 16 messages, two to a batch, half a second a batch: 4 s one at a
	// time, 1 s with four in flight (plus cold starts).
	t.Logf("16 messages in %s, at most %d batches in flight", took.Round(time.Millisecond), most.Load())
	if q.remaining(t) != 0 || most.Load() != n {
		t.Fatalf("%d messages left, at most %d batches in flight; want 0 and %d", q.remaining(t), most.Load(), n)
	}
}

// Cycle (tests only) runs one receive → event → invoke → delete round. It returns an
// error only when SQS itself fails (receive, delete) or ctx ends; a
// function error is reported in CycleStats.InvokeErr and deletes nothing.
func (e *ESM) Cycle(ctx context.Context) (CycleStats, error) {
	if e.Invoke == nil || e.SQS == nil || e.QueueURL == "" {
		return CycleStats{}, errors.New("esm: SQS, QueueURL and Invoke are required")
	}
	if err := e.resolveSource(ctx); err != nil {
		return CycleStats{}, err
	}
	return e.cycle(ctx, e.Invoke)
}
