package store

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/faultproxy"
)

// proxiedQueue is a fresh queue reached through a fault proxy in front of
// fauxqs, with clients built the way Open builds them.
func proxiedQueue(t *testing.T, o faultproxy.Options) (*Queue, *faultproxy.Proxy) {
	t.Helper()
	p := faultproxy.StartT(t, emu.SQSURL, o)
	c := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	return &Queue{Client: c, URL: newQueue(t)}, p
}

// stallReceives holds every ReceiveMessage answer half sent for d.
func stallReceives(d time.Duration) func(string, string) time.Duration {
	return func(_, target string) time.Duration {
		if target == "AmazonSQS.ReceiveMessage" {
			return d
		}
		return 0
	}
}

// queueCounts is (visible, hidden) on q, read around the proxy.
func queueCounts(t *testing.T, q *Queue) (visible, hidden int) {
	t.Helper()
	b, err := (&Queue{Client: sqs.NewFromConfig(cfg), URL: q.URL}).Backlog(context.Background())
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	return b.Visible, b.InFlight
}

// TestReceiveLostAnswerStrandsMessages reproduces the demo's failure with
// the bare SDK call: the request's context ends while the answer's body is
// being read (here: the caller gives up; in the demo, the event source
// mapping's receive deadline on a loaded machine). The transport closes the
// connection under the body, the SDK reports "deserialization failed" (and
// its drain of the rest logs "use of closed network connection"), and SQS
// has already hidden the messages: stranded for the visibility timeout.
func TestReceiveLostAnswerStrandsMessages(t *testing.T) {
	q, _ := proxiedQueue(t, faultproxy.Options{Stall: stallReceives(2 * time.Second)})
	sendN(t, q, 4, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.URL, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
	if err == nil || !strings.Contains(err.Error(), "deserialization failed") {
		t.Fatalf("receive cut mid-body: %v; want the SDK's deserialization failure", err)
	}
	// net/http closes the connection when the context ends; which error
	// the body's read sees first (the context's, or the closed
	// connection's) is a race that a loaded machine sometimes loses, so
	// network is as right as deadline: both are the way's fault, retried.
	if code := classifyCode(err); code != "deadline" && code != "network" {
		t.Errorf("a receive cut by its context is classified %s, want deadline (or network)", code)
	}
	if visible, hidden := queueCounts(t, q); visible != 0 || hidden != 4 {
		t.Fatalf("after the lost answer: %d visible, %d hidden; want all 4 hidden (stranded)", visible, hidden)
	}
}

// TestReceiveAnswerOutlivesItsCaller: through the same stalled answers,
// every receive of ours runs to its answer although the caller's context
// ends first, and hands the caller what SQS hid: a batch, a peek, a
// redrive strand nothing.
func TestReceiveAnswerOutlivesItsCaller(t *testing.T) {
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	t.Run("batch", func(t *testing.T) {
		q, p := proxiedQueue(t, faultproxy.Options{Stall: stallReceives(time.Second)})
		sendN(t, q, 4, nil)
		msgs, _, err := q.ReceiveBatch(short(), BatchOptions{Max: 10, Visibility: time.Minute})
		if err != nil || len(msgs) != 4 {
			t.Fatalf("ReceiveBatch: %d messages, %v; want the 4 SQS hid", len(msgs), err)
		}
		if err := q.Delete(context.Background(), msgs); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if v, h := queueCounts(t, q); v+h != 0 || p.Counts()[faultproxy.SQS].Stalled == 0 {
			t.Fatalf("%d visible, %d hidden after deleting what was received (stalls %d); want none", v, h, p.Counts()[faultproxy.SQS].Stalled)
		}
	})
	t.Run("peek", func(t *testing.T) {
		q, p := proxiedQueue(t, faultproxy.Options{Stall: stallReceives(time.Second)})
		sendN(t, q, 3, nil)
		got, err := q.Peek(short(), 10)
		if err != nil || len(got) != 3 {
			// Seen once in a full suite (0 messages, no error, one stalled
			// receive's time): the counts tell an empty answer from one
			// that hid the messages and was lost.
			v, h := queueCounts(t, q)
			t.Fatalf("Peek: %d, %v; want 3 (queue: %d visible, %d hidden; proxy: %+v)", len(got), err, v, h, p.Counts()[faultproxy.SQS])
		}
		if v, h := queueCounts(t, q); v != 3 || h != 0 {
			t.Fatalf("after a peek whose caller gave up: %d visible, %d hidden; want 3 visible", v, h)
		}
	})
}

// TestQueueCallsRetryTransientFailures: with half the SQS calls failing
// (500s and throttling, before they reach the queue), receives, deletes
// and visibility changes still get through, retried with backoff.
func TestQueueCallsRetryTransientFailures(t *testing.T) {
	q, p := proxiedQueue(t, faultproxy.Options{FailRate: 0.5, Seed: 3, Services: []string{faultproxy.SQS}})
	direct := &Queue{Client: sqs.NewFromConfig(cfg), URL: q.URL}
	sendN(t, direct, 12, nil)
	ctx := context.Background()
	var got []types.Message
	for len(got) < 12 {
		msgs, err := q.Receive(ctx, 10, 0, time.Minute)
		if err != nil {
			t.Fatalf("receive through failures: %v", err)
		}
		got = append(got, msgs...)
	}
	if err := q.ChangeVisibilityBatch(ctx, []VisibilityChange{{ReceiptHandle: aws.ToString(got[0].ReceiptHandle), MessageID: "0", Timeout: time.Hour}}); err != nil {
		t.Fatalf("change visibility through failures: %v", err)
	}
	if err := q.Delete(ctx, got); err != nil {
		t.Fatalf("delete through failures: %v", err)
	}
	if v, h := queueCounts(t, direct); v+h != 0 {
		t.Fatalf("%d visible, %d hidden after deleting all 12", v, h)
	}
	if c := p.Counts()[faultproxy.SQS]; c.Injected == 0 {
		t.Fatalf("no fault injected (%+v): the test proved nothing", c)
	}
}

// TestQueueCallsGiveUpOnAMissingQueue: a refusal a repeat cannot cure is
// reported at once, not retried for callRetryElapsed.
func TestQueueCallsGiveUpOnAMissingQueue(t *testing.T) {
	q := &Queue{Client: sqs.NewFromConfig(cfg), URL: newQueue(t) + "-missing"}
	start := time.Now()
	_, err := q.Receive(context.Background(), 1, 0, 0)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("receive from a missing queue: %v after %s; want an error at once", err, time.Since(start))
	}
}

// TestIdleConnectionsCloseBeforeTheServers: the clients LoadAWSConfig
// builds drop an idle connection before the emulators' servers would
// (dynalite: 5 s), so a reused connection is never one the server has
// just closed.
func TestIdleConnectionsCloseBeforeTheServers(t *testing.T) {
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("LoadAWSConfig's HTTP client is a %T, not NewHTTPClient's", cfg.HTTPClient)
	}
	tr := bc.GetTransport()
	if got := tr.IdleConnTimeout; got <= 0 || got >= 5*time.Second {
		t.Fatalf("IdleConnTimeout %s; want below dynalite's 5 s", got)
	}
	if tr.MaxIdleConnsPerHost < maxConnsPerHost {
		t.Errorf("MaxIdleConnsPerHost %d: a batch's concurrent calls would re-dial", tr.MaxIdleConnsPerHost)
	}
}

// TestReceiveHoldBoundsALostAnswer: the first ReceiveMessage's answer is
// cut half sent after SQS hid its messages. With a hold, a batch asking
// for a minute's visibility gets those messages back after the hold (a
// few seconds), the retry gathers the rest, and what it returns is hidden
// for the whole minute.
func TestReceiveHoldBoundsALostAnswer(t *testing.T) {
	var cuts atomic.Int32
	q, p := proxiedQueue(t, faultproxy.Options{Cut: func(_, target string) bool {
		return target == "AmazonSQS.ReceiveMessage" && cuts.Add(1) == 1
	}})
	sendN(t, q, 3, nil)
	o := BatchOptions{Max: 10, Visibility: time.Minute, Hold: time.Second}
	msgs, _, err := q.ReceiveBatch(context.Background(), o)
	if err != nil || len(msgs) != 0 || p.Counts()[faultproxy.SQS].Cut != 1 {
		t.Fatalf("first batch: %d messages, %v, %+v; want the cut answer retried (nothing else visible yet)", len(msgs), err, p.Counts()[faultproxy.SQS])
	}
	if v, h := queueCounts(t, q); v != 0 || h != 3 {
		t.Fatalf("after the lost answer: %d visible, %d hidden; want the 3 hidden", v, h)
	}
	start := time.Now()
	var got []types.Message
	for len(got) < 3 && time.Since(start) < 15*time.Second {
		m, _, err := q.ReceiveBatch(context.Background(), BatchOptions{Max: 10, IdleWait: time.Second, Visibility: time.Minute, Hold: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m...)
	}
	if len(got) != 3 || time.Since(start) > 8*time.Second {
		t.Fatalf("%d of 3 back after %s; want all within the hold (%s), not the minute", len(got), time.Since(start), o.hold())
	}
	time.Sleep(o.hold() + time.Second)
	if v, h := queueCounts(t, q); v != 0 || h != 3 {
		t.Fatalf("%d visible, %d hidden past the hold; want all 3 still hidden (extended to the minute)", v, h)
	}
}
