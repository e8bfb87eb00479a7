package store

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
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

func TestQueueRedriveKeepsProducerAttributes(t *testing.T) {
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
		if _, ok := m.MessageAttributes["error_code"]; ok || aws.ToString(m.MessageAttributes["tenant"].StringValue) != "acme" {
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
