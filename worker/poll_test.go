package worker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// pollConfig is the poll configuration of the fixture's queue with
// test-sized timings, read as the poll command reads it (every default the
// settings table's).
func (f *fixture) pollConfig() PollConfig {
	f.t.Helper()
	c, err := LoadPollConfig(func(k string) string {
		return map[string]string{"BATCHINFER_QUEUE_URL": f.prov.QueueURL, "BATCHINFER_POLL_BATCH_SIZE": "25",
			"BATCHINFER_POLL_WINDOW": "200ms", "BATCHINFER_VISIBILITY_TIMEOUT": "5s", "BATCHINFER_POLL_WAIT": "1s"}[k]
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// poller returns a Poller on the fixture's queue with test-sized timings.
func (f *fixture) poller() *Poller { return NewPoller(f.w, f.queue(), f.pollConfig()) }

// send enqueues job bodies on the fixture's jobs queue.
func (f *fixture) send(bodies ...string) []string {
	f.t.Helper()
	msgs := make([]store.OutMessage, len(bodies))
	for i, b := range bodies {
		msgs[i] = store.OutMessage{Body: b}
	}
	sent, err := (&store.Queue{Client: f.sqs, URL: f.prov.QueueURL}).Send(f.ctx, msgs)
	if err != nil {
		f.t.Fatalf("send: %v", err)
	}
	ids := make([]string, len(sent))
	for i, s := range sent {
		ids[i] = s.MessageID
	}
	return ids
}

// runUntil runs p until done reports true (checked every 100ms) or
// timeout, then stops it and waits for Run to return.
func (f *fixture) runUntil(p *Poller, timeout time.Duration, done func() bool) bool {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	ok := false
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ok = done(); ok {
			break
		}
	}
	cancel()
	if err := <-errc; err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return ok
}

func (f *fixture) allStatus(status store.Status, ids ...string) bool {
	for _, id := range ids {
		if rec := f.item(id); rec == nil || rec.Status != status {
			return false
		}
	}
	return true
}

// holdClaim claims the job of body for another worker with a long lease,
// so the poller finds it busy: a transient failure that must be retried.
func (f *fixture) holdClaim(body string) {
	f.t.Helper()
	m := jobs.DecodeMessage(events.SQSMessage{MessageId: "other", Body: body})
	if m.Err != nil {
		f.t.Fatal(m.Err)
	}
	j := m.Jobs[0]
	if _, err := f.table.Claim(f.ctx, store.Record{JobID: j.ID, Model: j.Model, PayloadHash: j.PayloadHash}, time.Hour); err != nil {
		f.t.Fatal(err)
	}
}

func TestPollerProcessesTheQueue(t *testing.T) {
	f := newFixture(t)
	var good []string
	var bodies []string
	for i := range 22 { // more than two receives' worth
		id := "iris-" + string(rune('a'+i))
		good = append(good, id)
		bodies = append(bodies, inlineJob(id, "iris-rf", features(5.1, 3.5, 1.4, 0.2+float64(i)/100)))
	}
	bodies = append(bodies,
		inlineJob("poison", "iris-rf", features(1, 2, 3)),
		inlineJob("flaky", "iris-rf", features(5.9, 3.0, 5.1, 1.8)),
	)
	f.holdClaim(bodies[len(bodies)-1])
	f.send(bodies...)

	redeliveries, metricsMode, share := f.w.Redeliveries, f.w.Config.Metrics.Mode, f.w.Config.Metrics.Share
	p := f.poller()
	finished := f.runUntil(p, 15*time.Second, func() bool {
		return f.allStatus("SUCCEEDED", good...) && f.allStatus("FAILED", "poison") && f.allStatus("IN_PROGRESS", "flaky")
	})
	if !finished {
		t.Fatalf("not every job reached its outcome; log:\n%s", f.logBuf.String())
	}
	if f.w.Redeliveries != redeliveries || f.w.Config.Metrics.Mode != metricsMode || f.w.Config.Metrics.Share != share {
		t.Errorf("the poller changed its worker: redeliveries %v, metrics mode %q share %d", f.w.Redeliveries, f.w.Config.Metrics.Mode, f.w.Config.Metrics.Share)
	}
	if rec := f.item("iris-a"); rec.Output["label"] != "setosa" {
		t.Errorf("iris-a: %+v", rec)
	}
	if m, ok := f.deadLetters()["poison"]; !ok || attr(m, "error_code") != string(jobs.CodeWrongFeatureCount) {
		t.Errorf("poison not in the DLQ as wrong_feature_count: %v", m.MessageAttributes)
	}
	// Only the transient failure is left, visible again after its backoff
	// (2^1 s), not after the 5 s visibility timeout.
	q := &store.Queue{Client: f.sqs, URL: f.prov.QueueURL}
	left, err := q.Receive(f.ctx, 10, 3*time.Second, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || !strings.Contains(aws.ToString(left[0].Body), "flaky") {
		t.Fatalf("queue holds %d messages, want only the flaky job: %v", len(left), bodiesOf(left))
	}
	if n := left[0].Attributes["ApproximateReceiveCount"]; n == "1" {
		t.Errorf("flaky message receive count %s: it was never received before", n)
	}
	if more, _ := q.Receive(f.ctx, 10, 0, time.Minute); len(more) != 0 {
		t.Errorf("messages not deleted: %v", bodiesOf(more))
	}
}

func TestPollerShutdownLosesNothing(t *testing.T) {
	f := newFixture(t)
	var ids, bodies []string
	for i := range 40 {
		id := fmt.Sprintf("job-%02d", i)
		ids = append(ids, id)
		bodies = append(bodies, inlineJob(id, "iris-rf", features(6.7, 3.0, 5.2, 2.3)))
	}
	f.send(bodies...)
	c := f.pollConfig()
	c.BatchSize, c.Window = 10, 0
	p := NewPoller(f.w, f.queue(), c)
	// Stop as soon as the first batch is written: later ones are in flight
	// or not yet received.
	f.runUntil(p, 10*time.Second, func() bool {
		for _, id := range ids {
			if rec := f.item(id); rec != nil && rec.Status == "SUCCEEDED" {
				return true
			}
		}
		return false
	})
	// Every job is either finished with its message deleted, or untouched
	// with its message visible on the queue: nothing stranded in between.
	q := &store.Queue{Client: f.sqs, URL: f.prov.QueueURL}
	visible, err := q.Peek(f.ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]bool{}
	for _, b := range bodiesOf(visible) {
		for _, id := range ids {
			if strings.Contains(b, `"`+id+`"`) {
				queued[id] = true
			}
		}
	}
	done := 0
	for _, id := range ids {
		rec := f.item(id)
		switch {
		case rec != nil && rec.Status == "SUCCEEDED" && !queued[id]:
			done++
		case rec == nil && queued[id]:
		default:
			t.Errorf("%s after shutdown: item %+v, on the queue %v", id, rec, queued[id])
		}
	}
	if done == 0 || done == len(ids) {
		t.Logf("shutdown came after %d of %d jobs (the test wants it mid-run)", done, len(ids))
	}
	// A new poller finishes the rest.
	if !f.runUntil(f.poller(), 10*time.Second, func() bool { return f.allStatus("SUCCEEDED", ids...) }) {
		t.Fatal("a second poller did not finish the remaining jobs")
	}
}

func TestLambdaMessageMatchesTheEventSource(t *testing.T) {
	f := newFixture(t)
	q := &store.Queue{Client: f.sqs, URL: f.prov.QueueURL}
	body := inlineJob("attrs", "iris-rf", features(5.1, 3.5, 1.4, 0.2))
	if _, err := q.Send(f.ctx, []store.OutMessage{{Body: body, Attributes: map[string]sqstypes.MessageAttributeValue{
		"tenant": {DataType: aws.String("String"), StringValue: aws.String("acme")}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := q.Receive(f.ctx, 1, time.Second, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	rec := store.LambdaRecord(got[0], f.prov.QueueARN, "us-east-1")
	switch {
	case rec.EventSource != "aws:sqs" || rec.EventSourceARN != f.prov.QueueARN || rec.AWSRegion != "us-east-1":
		t.Errorf("source fields: %+v", rec)
	case rec.Body != body || rec.Md5OfBody == "" || rec.ReceiptHandle == "" || rec.MessageId == "":
		t.Errorf("message fields: %+v", rec)
	case rec.MessageAttributes["tenant"].DataType != "String" || aws.ToString(rec.MessageAttributes["tenant"].StringValue) != "acme":
		t.Errorf("message attributes: %+v", rec.MessageAttributes)
	}
	m := jobs.DecodeMessage(rec)
	if m.ReceiveCount != 1 || m.SentAt.IsZero() || m.Err != nil || len(m.Jobs) != 1 || m.Jobs[0].ID != "attrs" {
		t.Errorf("decoded: %+v", m)
	}
}

func TestLoadPollConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    PollConfig
		wantErr string
	}{
		{"defaults", map[string]string{"BATCHINFER_QUEUE_URL": "http://q"},
			PollConfig{QueueURL: "http://q", BatchSize: 10, Window: time.Second, Concurrency: 1, IdleWait: 20 * time.Second, Grace: 25 * time.Second, BatchTimeout: 15 * time.Minute}, ""},
		{"all set", map[string]string{"BATCHINFER_QUEUE_URL": "http://q", "BATCHINFER_POLL_BATCH_SIZE": "500",
			"BATCHINFER_POLL_WINDOW": "250ms", "BATCHINFER_VISIBILITY_TIMEOUT": "2m", "BATCHINFER_POLL_CONCURRENCY": "3", "BATCHINFER_POLL_WAIT": "5s",
			"BATCHINFER_POLL_GRACE": "10s", "BATCHINFER_POLL_TIMEOUT": "1h"},
			PollConfig{QueueURL: "http://q", BatchSize: 500, Window: 250 * time.Millisecond, VisibilityTimeout: 2 * time.Minute, Concurrency: 3, IdleWait: 5 * time.Second,
				Grace: 10 * time.Second, BatchTimeout: time.Hour}, ""},
		{"no queue", map[string]string{}, PollConfig{}, "BATCHINFER_QUEUE_URL"},
		{"batch too big", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_BATCH_SIZE": "10001"}, PollConfig{}, "BATCHINFER_POLL_BATCH_SIZE"},
		{"batch zero", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_BATCH_SIZE": "0"}, PollConfig{}, "BATCHINFER_POLL_BATCH_SIZE"},
		{"bad window", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_WINDOW": "soon"}, PollConfig{}, "BATCHINFER_POLL_WINDOW"},
		{"short visibility", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_VISIBILITY_TIMEOUT": "1s"}, PollConfig{}, "BATCHINFER_VISIBILITY_TIMEOUT"},
		{"long wait", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_WAIT": "21s"}, PollConfig{}, "BATCHINFER_POLL_WAIT"},
		{"timeout over SQS's 12h", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_TIMEOUT": "13h"}, PollConfig{}, "BATCHINFER_POLL_TIMEOUT"},
		{"bad grace", map[string]string{"BATCHINFER_QUEUE_URL": "q", "BATCHINFER_POLL_GRACE": "later"}, PollConfig{}, "BATCHINFER_POLL_GRACE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadPollConfig(func(k string) string { return tc.env[k] })
			if testenv.WantError(t, err, tc.wantErr) {
				return
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func bodiesOf(msgs []sqstypes.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}
