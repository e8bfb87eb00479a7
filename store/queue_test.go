package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/jobs"
)

func newTestQueue(t *testing.T) *Queue {
	t.Helper()
	return &Queue{Client: sqs.NewFromConfig(cfg), URL: newQueue(t)}
}

func sendN(t *testing.T, q *Queue, n int, attrs map[string]types.MessageAttributeValue) []string {
	t.Helper()
	msgs := make([]OutMessage, n)
	for i := range msgs {
		msgs[i] = OutMessage{Body: fmt.Sprintf(`{"n":%d}`, i), Attributes: attrs}
	}
	sent, err := q.Send(context.Background(), msgs)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	ids := make([]string, n)
	for i, s := range sent {
		if s.Err != nil || s.MessageID == "" {
			t.Fatalf("entry %d: %+v", i, s)
		}
		ids[i] = s.MessageID
	}
	return ids
}

// drain receives everything visible and returns the bodies, sorted.
func drain(t *testing.T, q *Queue) []string {
	t.Helper()
	var bodies []string
	for {
		msgs, err := q.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			sort.Strings(bodies)
			return bodies
		}
		for _, m := range msgs {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
}

func TestQueueSendPeekDelete(t *testing.T) {
	ctx := context.Background()
	q := newTestQueue(t)
	sendN(t, q, 23, nil) // three SendMessageBatch calls

	peeked, err := q.Peek(ctx, 15)
	if err != nil || len(peeked) != 15 {
		t.Fatalf("peek 15: %d messages, %v", len(peeked), err)
	}
	all, err := q.Peek(ctx, 100)
	if err != nil || len(all) != 23 {
		t.Fatalf("peek again: %d messages, %v; want all 23 visible after a peek", len(all), err)
	}
	if all[0].Attributes["ApproximateReceiveCount"] == "" {
		t.Errorf("peeked message lacks system attributes: %v", all[0].Attributes)
	}

	msgs, err := q.Receive(ctx, 10, 0, time.Minute)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("receive: %d, %v", len(msgs), err)
	}
	if err := q.Delete(ctx, msgs); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if rest := drain(t, q); len(rest) != 23-len(msgs) {
		t.Errorf("%d left after deleting %d of 23", len(rest), len(msgs))
	}
}

func TestQueueChangeVisibility(t *testing.T) {
	ctx := context.Background()
	q := newTestQueue(t)
	sendN(t, q, 1, nil)
	msgs, err := q.Receive(ctx, 1, 0, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %d, %v", len(msgs), err)
	}
	if again, _ := q.Receive(ctx, 1, 0, 0); len(again) != 0 {
		t.Fatal("message visible while received")
	}
	if err := q.ChangeVisibility(ctx, aws.ToString(msgs[0].ReceiptHandle), 0); err != nil {
		t.Fatal(err)
	}
	again, err := q.Receive(ctx, 1, 0, time.Minute)
	if err != nil || len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after visibility 0: %v, %v", again, err)
	}
}

// TestQueueRedriveKeepsMessageAttributes: the producer's attributes and
// the worker's dead-letter ones both go back (the worker reruns a message
// that carries error_code and job_id).
func TestQueueRedriveKeepsMessageAttributes(t *testing.T) {
	ctx := context.Background()
	src, dst := newTestQueue(t), newTestQueue(t)
	str := func(s string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	sendN(t, src, 12, map[string]types.MessageAttributeValue{"error_code": str("input_missing"), "tenant": str("acme")})

	moved, err := src.Redrive(ctx, dst, 5)
	if err != nil || moved != 5 {
		t.Fatalf("redrive 5: moved %d, %v", moved, err)
	}
	moved, err = src.Redrive(ctx, dst, 0)
	if err != nil || moved != 7 {
		t.Fatalf("redrive the rest: moved %d, %v", moved, err)
	}
	if left := drain(t, src); len(left) != 0 {
		t.Errorf("source still holds %v", left)
	}
	got, err := dst.Peek(ctx, 100)
	if err != nil || len(got) != 12 {
		t.Fatalf("destination: %d messages, %v", len(got), err)
	}
	for _, m := range got {
		if aws.ToString(m.MessageAttributes["error_code"].StringValue) != "input_missing" || aws.ToString(m.MessageAttributes["tenant"].StringValue) != "acme" {
			t.Fatalf("attributes after redrive: %v", m.MessageAttributes)
		}
	}
	if err := dst.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if left := drain(t, dst); len(left) != 0 {
		t.Errorf("%d messages after purge", len(left))
	}
}

// TestReceiveBatchEnds: each way a batch ends, against fauxqs.
func TestReceiveBatchEnds(t *testing.T) {
	tests := []struct {
		name       string
		send       int
		body       int // bytes per body, 0: small
		o          BatchOptions
		want       int
		atLeast    time.Duration // the call took this long at least
		atMost     time.Duration // and at most this
		emptyFirst bool          // first is the zero time
	}{
		{name: "fills to Max over several receives", send: 25, o: BatchOptions{Max: 25, Window: 10 * time.Second}, want: 25, atMost: 5 * time.Second},
		{name: "zero Max is ten", send: 15, o: BatchOptions{Window: 10 * time.Second}, want: 10, atMost: 5 * time.Second},
		{name: "window ends a short batch", send: 3, o: BatchOptions{Max: 10, Window: 700 * time.Millisecond}, want: 3, atLeast: 700 * time.Millisecond, atMost: 5 * time.Second},
		{name: "zero window takes one receive", send: 3, o: BatchOptions{Max: 10}, want: 3, atMost: time.Second},
		{name: "byte cap ends before the window", send: 3, body: 3000, o: BatchOptions{Max: 10, Window: 10 * time.Second, MaxBytes: 2000}, want: 3, atMost: 5 * time.Second},
		{name: "empty queue, short poll", o: BatchOptions{Max: 10, Window: 10 * time.Second}, atMost: time.Second, emptyFirst: true},
		{name: "empty queue, idle wait honoured", o: BatchOptions{Max: 10, IdleWait: 1500 * time.Millisecond}, atLeast: 1500 * time.Millisecond, atMost: 5 * time.Second, emptyFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newTestQueue(t)
			sendBodies(t, q, tt.send, tt.body)
			start := time.Now()
			msgs, first, err := q.ReceiveBatch(context.Background(), tt.o)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tt.want {
				t.Errorf("%d messages, want %d", len(msgs), tt.want)
			}
			if took < tt.atLeast || took > tt.atMost {
				t.Errorf("took %s, want %s..%s", took, tt.atLeast, tt.atMost)
			}
			if first.IsZero() != tt.emptyFirst || (!first.IsZero() && (first.Before(start) || first.After(start.Add(took)))) {
				t.Errorf("first = %v, call ran %v..+%s", first, start, took)
			}
			if len(msgs) > 0 && msgs[0].Attributes["ApproximateReceiveCount"] == "" {
				t.Errorf("message lacks system attributes: %v", msgs[0].Attributes)
			}
		})
	}
}

// TestReceiveBatchWaitsForTheFirstMessage: a message sent during the idle
// wait is taken, and the window then runs from its receive.
func TestReceiveBatchWaitsForTheFirstMessage(t *testing.T) {
	q := newTestQueue(t)
	start := time.Now()
	go func() {
		time.Sleep(1200 * time.Millisecond)
		sendBodies(t, q, 1, 0)
	}()
	msgs, first, err := q.ReceiveBatch(context.Background(), BatchOptions{Max: 10, IdleWait: 10 * time.Second, Window: 300 * time.Millisecond})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v; want the one sent while waiting", len(msgs), err)
	}
	if took := time.Since(start); took > 8*time.Second || first.Before(start) {
		t.Errorf("took %s, first %v after start %v", took, first.Sub(start), start)
	}
}

// TestReceiveBatchFinishesTheReceiveInFlight: ctx ends during a long
// poll; the receive is not cancelled, so the message SQS answers with is
// returned instead of being left hidden, and no further receive follows.
func TestReceiveBatchFinishesTheReceiveInFlight(t *testing.T) {
	q := newTestQueue(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(300 * time.Millisecond)
		cancel()
		time.Sleep(700 * time.Millisecond)
		sendBodies(t, q, 1, 0)
	}()
	msgs, _, err := q.ReceiveBatch(ctx, BatchOptions{Max: 10, IdleWait: 3 * time.Second, Window: 5 * time.Second, Visibility: time.Minute})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v; want the one the receive in flight got", len(msgs), err)
	}
	if left := drain(t, q); len(left) != 0 {
		t.Errorf("%v still on the queue", left)
	}
}

// TestReceiveBatchKeepsTheNewestReceipt: a message whose visibility runs
// out inside the window comes back once, with the newest receipt handle.
func TestReceiveBatchKeepsTheNewestReceipt(t *testing.T) {
	q := newTestQueue(t)
	sendBodies(t, q, 1, 0)
	msgs, _, err := q.ReceiveBatch(context.Background(), BatchOptions{Max: 10, Window: 2500 * time.Millisecond, Visibility: time.Second})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v; want one", len(msgs), err)
	}
	if n, _ := strconv.Atoi(msgs[0].Attributes["ApproximateReceiveCount"]); n < 2 {
		t.Errorf("ApproximateReceiveCount %d: want the later receive's message", n)
	}
	if err := q.Delete(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the visibility: only a stale handle would leave it
	if left := drain(t, q); len(left) != 0 {
		t.Errorf("deleted with the newest handle, yet %v is still there", left)
	}
}

// TestReceiveBatchReportsAFailedReceive: a receive SQS refuses (the
// queue does not exist) ends the batch with a classified error.
func TestReceiveBatchReportsAFailedReceive(t *testing.T) {
	q := &Queue{Client: newTestQueue(t).Client, URL: newQueue(t) + "-missing"}
	msgs, first, err := q.ReceiveBatch(context.Background(), BatchOptions{Max: 10, IdleWait: 5 * time.Second})
	var coded *jobs.Error
	if !errors.As(err, &coded) || len(msgs) != 0 || !first.IsZero() {
		t.Fatalf("receive from a missing queue: %d messages, %v, %v; want a *jobs.Error", len(msgs), first, err)
	}
}

func sendBodies(t *testing.T, q *Queue, n, size int) {
	t.Helper()
	msgs := make([]OutMessage, n)
	for i := range msgs {
		msgs[i] = OutMessage{Body: strings.Repeat("x", max(size, 1))}
	}
	if _, err := q.Send(context.Background(), msgs); err != nil {
		t.Errorf("send: %v", err)
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		n, size int
		want    string // start:len of each chunk
	}{
		{0, 10, ""},
		{1, 10, "0:1"},
		{10, 10, "0:10"},
		{23, 10, "0:10 10:10 20:3"},
		{5, 2, "0:2 2:2 4:1"},
	}
	for _, tt := range tests {
		var got []string
		for start, c := range chunks(make([]int, tt.n), tt.size) {
			got = append(got, fmt.Sprintf("%d:%d", start, len(c)))
		}
		if s := strings.Join(got, " "); s != tt.want {
			t.Errorf("chunks(%d items, %d) = %q, want %q", tt.n, tt.size, s, tt.want)
		}
	}
}

// TestQueueChangeVisibilityBatch: 23 changes (three calls) land, each with
// its own timeout, and an entry SQS refuses is reported by index while the
// others still change.
func TestQueueChangeVisibilityBatch(t *testing.T) {
	ctx := context.Background()
	q := newTestQueue(t)
	sendN(t, q, 23, nil)
	msgs := receiveN(t, q, 23)
	changes := make([]VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = VisibilityChange{ReceiptHandle: aws.ToString(m.ReceiptHandle), MessageID: aws.ToString(m.MessageId)}
		if i%2 == 1 {
			changes[i].Timeout = time.Hour
		}
	}
	changes[4].ReceiptHandle = "not-a-receipt-handle"
	err := q.ChangeVisibilityBatch(ctx, changes)
	var be *BatchError
	if !errors.As(err, &be) || fmt.Sprint(be.Failed) != "[4]" || !strings.Contains(err.Error(), changes[4].MessageID) {
		t.Fatalf("ChangeVisibilityBatch error %v; want a *BatchError failing [4] and naming its message", err)
	}
	// Even entries but the refused one are visible at once; odd ones and
	// the refused one are still hidden.
	if back := drain(t, q); len(back) != 11 {
		t.Errorf("%d visible after the change, want 11", len(back))
	}
}

// TestQueueBatchCallFailsAsAWhole: a call that fails outright (no such
// queue) fails every entry, with one classified error per call.
func TestQueueBatchCallFailsAsAWhole(t *testing.T) {
	ctx := context.Background()
	q := &Queue{Client: newTestQueue(t).Client, URL: newQueue(t) + "-missing"}
	msgs := make([]types.Message, 12)
	changes := make([]VisibilityChange, 12)
	for i := range msgs {
		msgs[i] = types.Message{MessageId: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String("h")}
		changes[i] = VisibilityChange{ReceiptHandle: "h", MessageID: strconv.Itoa(i)}
	}
	for name, err := range map[string]error{
		"delete":     q.Delete(ctx, msgs),
		"visibility": q.ChangeVisibilityBatch(ctx, changes),
	} {
		var be *BatchError
		var coded *jobs.Error
		if !errors.As(err, &be) || len(be.Failed) != 12 || be.Failed[11] != 11 || !errors.As(err, &coded) {
			t.Errorf("%s: %v; want a *BatchError failing all 12 that wraps a *jobs.Error", name, err)
		}
	}
	if err := q.Delete(ctx, nil); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
}

// receiveN receives n messages, hidden for a minute.
func receiveN(t *testing.T, q *Queue, n int) []types.Message {
	t.Helper()
	msgs, _, err := q.ReceiveBatch(context.Background(), BatchOptions{Max: n, Window: 5 * time.Second, Visibility: time.Minute})
	if err != nil || len(msgs) != n {
		t.Fatalf("receive %d: got %d, %v", n, len(msgs), err)
	}
	return msgs
}

// TestQueueBacklog: what a wait reports of the queue, from fauxqs's
// attributes.
func TestQueueBacklog(t *testing.T) {
	q := newTestQueue(t)
	sendN(t, q, 3, nil)
	if _, err := q.Receive(context.Background(), 1, 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	b, err := q.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Visible != 2 || b.InFlight != 1 || b.Delayed != 0 || b.Visibility <= 0 {
		t.Fatalf("backlog %+v; want 2 visible, 1 in flight and the queue's visibility timeout", b)
	}
}

func TestBacklogDescribe(t *testing.T) {
	now := time.Date(2026, 12, 6, 18, 0, 0, 0, time.Local)
	tests := []struct {
		b    Backlog
		want string
	}{
		{Backlog{}, "0 waiting"},
		{Backlog{Visible: 5, InFlight: 10, Visibility: 6 * time.Minute},
			"5 waiting, 10 in flight (being worked on, or hidden until 18:06:00 at the latest: the 6m0s visibility timeout)"},
		{Backlog{InFlight: 1, Delayed: 3}, "0 waiting, 1 in flight, 3 delayed"},
	}
	for _, tt := range tests {
		if got := tt.b.Describe(now); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.b, got, tt.want)
		}
	}
}
