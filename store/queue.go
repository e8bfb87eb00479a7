package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxSQSBatch is SQS's limit on entries per batch call and messages per
// ReceiveMessage.
const MaxSQSBatch = 10

// maxLongPoll is SQS's longest ReceiveMessage wait.
const maxLongPoll = 20 * time.Second

// Queue is one SQS queue: the helpers the poller and the operator commands
// need on top of the SDK client (batching in groups of ten, per-entry
// failures turned into errors).
type Queue struct {
	Client *sqs.Client
	URL    string
	// Log, when set, hears of receives that failed and were tried again:
	// a failed receive may have hidden messages whose answer was lost.
	Log *slog.Logger
}

// Receive takes up to n (≤ 10) messages with all system and message
// attributes, long polling for up to wait (rounded down to seconds, at most
// 20 s). visibility 0 keeps the queue's own visibility timeout.
//
// Once SQS has answered a receive, its messages are hidden from every
// other consumer until their visibility timeout: an answer dropped half
// read would strand them there. So the request is never cut by ctx (a
// caller shutting down, a batch window ending): it runs to its answer,
// bounded only by wait plus receiveGrace for a server that went silent,
// and ctx ending only stops further attempts. The caller owns what it
// gets back even when ctx has ended, and must process or release it.
//
// A receive that fails transiently (a keep-alive connection the server had
// just dropped, throttling, 5xx) is tried again with backoff while ctx
// lasts. On a FIFO queue every attempt carries the same
// ReceiveRequestAttemptId, so SQS answers a retry with the messages a lost
// answer held; on a standard queue those come back after their visibility
// timeout.
func (q *Queue) Receive(ctx context.Context, n int, wait, visibility time.Duration) ([]types.Message, error) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(q.URL),
		MaxNumberOfMessages:         int32(min(max(n, 1), MaxSQSBatch)),
		WaitTimeSeconds:             int32(min(wait, maxLongPoll) / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	if visibility > 0 {
		in.VisibilityTimeout = int32(visibility.Round(time.Second) / time.Second)
	}
	if strings.HasSuffix(q.URL, ".fifo") {
		in.ReceiveRequestAttemptId = aws.String(rand.Text())
	}
	var out *sqs.ReceiveMessageOutput
	err := retryTransient(ctx, func() error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(in.WaitTimeSeconds)*time.Second+receiveGrace)
		defer cancel()
		var err error
		out, err = q.Client.ReceiveMessage(rctx, in)
		if err != nil && q.Log != nil {
			q.Log.Warn("receive failed; messages SQS hid for it, if any, come back after their visibility timeout",
				"queue", q.URL, "visibility_s", in.VisibilityTimeout, "err", err)
		}
		return Classify(err, "receive from "+q.URL)
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// BatchOptions says how ReceiveBatch fills one batch. The zero value
// takes what one short poll returns, up to ten messages.
type BatchOptions struct {
	// Max is the most messages in the batch (received at most ten per
	// ReceiveMessage call); 0 means ten.
	Max int
	// Window is the longest time to keep filling once the first message
	// has arrived, counted from the start of the receive that returned it;
	// 0 ends the batch with that receive.
	Window time.Duration
	// IdleWait is how long to wait for the first message: long polls
	// (whole seconds, at most 20 s each) and short polls for any rest. 0
	// is one short poll.
	IdleWait time.Duration
	// Visibility is each receive's visibility timeout (whole seconds); 0
	// keeps the queue's.
	Visibility time.Duration
	// Hold, when positive and below Visibility, is how long each receive
	// hides its messages at first: once the batch is gathered, one
	// ChangeMessageVisibilityBatch per ten hides them for Visibility. A
	// receive whose answer is lost on the way (SQS hid the messages, we
	// never saw them) then strands them for Hold, not for Visibility. It is
	// raised to Window plus holdMargin when shorter.
	Hold time.Duration
	// MaxBytes ends the batch once its bodies plus recordOverhead per
	// message reach it (Lambda's 6 MB invocation payload, say); 0 is no
	// cap. It is checked after each receive, so a batch may pass it by
	// up to one receive's worth.
	MaxBytes int
}

// recordOverhead estimates what a message weighs beyond its body once in
// an event (ids, receipt handle, attributes): generous, so a MaxBytes
// taken from a payload limit holds.
const recordOverhead = 1024

// shortPollPause is the pause between short polls that found nothing, so
// a sub-second wait polls instead of spinning.
const shortPollPause = 50 * time.Millisecond

// receiveGrace bounds a receive beyond its long-poll wait: a receive is
// never cancelled with the caller's context (SQS may already have hidden
// the messages it answers with), only given up on when SQS is silent this
// long. It is generous: an emulator on a loaded machine has been seen
// taking seconds, and a receive given up on mid-answer strands its
// messages.
const receiveGrace = 60 * time.Second

// holdMargin is what a hold keeps beyond the batching window, for the
// extension to land before the first messages would come back.
const holdMargin = 5 * time.Second

// DefaultHold is a Hold for callers with no reason to choose: long enough
// for a batch's extension to land on a slow machine, short enough that a
// lost answer delays its messages by seconds, not minutes.
const DefaultHold = 30 * time.Second

// hold is the visibility each receive of a batch asks for.
func (o BatchOptions) hold() time.Duration {
	if o.Hold <= 0 || o.Visibility <= 0 {
		return o.Visibility
	}
	return min(max(o.Hold, o.Window+holdMargin), o.Visibility)
}

// ReceiveBatch gathers one batch: it waits up to o.IdleWait for the first
// message, then keeps receiving until it holds o.Max messages, o.MaxBytes,
// or o.Window has passed since the receive that brought the first one.
// first is when that receive started (zero when the batch is empty): the
// messages' visibility timeouts run from no earlier than that. A message
// received twice inside one batch (its visibility timeout is shorter than
// the window) appears once, with its newest receipt handle.
//
// An empty batch with a nil error means nothing arrived within IdleWait.
// When ctx ends, the receive in flight still completes and what was
// received is returned with a nil error; callers check ctx themselves.
// When a receive fails, the messages received before it are returned
// with its error: they stay hidden until their visibility timeout unless
// the caller processes or releases them.
func (q *Queue) ReceiveBatch(ctx context.Context, o BatchOptions) (msgs []types.Message, first time.Time, err error) {
	want := o.Max
	if want <= 0 {
		want = MaxSQSBatch
	}
	index := map[string]int{}
	size := 0
	deadline := time.Now().Add(o.IdleWait)
	for ctx.Err() == nil {
		wait := max(time.Until(deadline), 0)
		t0 := time.Now()
		got, err := q.Receive(ctx, want-len(msgs), wait, o.hold())
		if err != nil {
			return msgs, first, errors.Join(err, q.extend(ctx, msgs, o))
		}
		if len(got) > 0 && len(msgs) == 0 {
			first, deadline = t0, t0.Add(o.Window)
		}
		for _, m := range got {
			id := aws.ToString(m.MessageId)
			if i, seen := index[id]; seen {
				msgs[i] = m
				continue
			}
			index[id] = len(msgs)
			msgs = append(msgs, m)
			size += len(aws.ToString(m.Body)) + recordOverhead
		}
		if len(msgs) >= want || (o.MaxBytes > 0 && size >= o.MaxBytes) || !time.Now().Before(deadline) {
			break
		}
		if len(got) == 0 && wait < time.Second {
			// Receive waits whole seconds only: poll the rest.
			select {
			case <-ctx.Done():
			case <-time.After(min(time.Until(deadline), shortPollPause)):
			}
		}
	}
	return msgs, first, q.extend(ctx, msgs, o)
}

// extend hides msgs, received for o.hold(), for o.Visibility: with a
// context of its own, since the messages are the caller's either way.
func (q *Queue) extend(ctx context.Context, msgs []types.Message, o BatchOptions) error {
	if len(msgs) == 0 || o.hold() >= o.Visibility {
		return nil
	}
	changes := make([]VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = VisibilityChange{ReceiptHandle: aws.ToString(m.ReceiptHandle), MessageID: messageID(m), Timeout: o.Visibility}
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), holdMargin)
	defer cancel()
	if err := q.ChangeVisibilityBatch(ectx, changes); err != nil {
		return fmt.Errorf("extend the visibility of a received batch (what failed comes back after %s): %w", o.hold(), err)
	}
	return nil
}

// Delete deletes msgs (by receipt handle) in batches of ten. What was not
// deleted is reported in a *BatchError; the others are still deleted.
func (q *Queue) Delete(ctx context.Context, msgs []types.Message) error {
	return inTens(ctx, q, msgs, "delete", func(chunk []types.Message) ([]types.BatchResultErrorEntry, error) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		out, err := q.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			return nil, err
		}
		return out.Failed, nil
	}, messageID)
}

// ChangeVisibility makes the message visible again after d (0: at once).
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	_, err := q.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(receiptHandle),
		VisibilityTimeout: int32(d.Round(time.Second) / time.Second),
	})
	return Classify(err, "change message visibility on "+q.URL)
}

// VisibilityChange is one entry of ChangeVisibilityBatch.
type VisibilityChange struct {
	ReceiptHandle string
	// MessageID names the entry in errors; it is not sent.
	MessageID string
	// Timeout is when the message becomes visible again, from now (whole
	// seconds; 0: at once).
	Timeout time.Duration
}

// ChangeVisibilityBatch applies changes with ChangeMessageVisibilityBatch
// in groups of ten. What was not changed is reported in a *BatchError
// (BatchError.Failed indexes changes); the others are still changed.
func (q *Queue) ChangeVisibilityBatch(ctx context.Context, changes []VisibilityChange) error {
	return inTens(ctx, q, changes, "change visibility of", func(chunk []VisibilityChange) ([]types.BatchResultErrorEntry, error) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, c := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(c.ReceiptHandle),
				VisibilityTimeout: int32(c.Timeout.Round(time.Second) / time.Second),
			}
		}
		out, err := q.Client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			return nil, err
		}
		return out.Failed, nil
	}, func(c VisibilityChange) string { return c.MessageID })
}

// release makes msgs visible again at once.
func (q *Queue) release(ctx context.Context, msgs []types.Message) error {
	changes := make([]VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = VisibilityChange{ReceiptHandle: aws.ToString(m.ReceiptHandle), MessageID: messageID(m)}
	}
	return q.ChangeVisibilityBatch(ctx, changes)
}

// OutMessage is one message to send.
type OutMessage struct {
	Body       string
	Attributes map[string]types.MessageAttributeValue
	// GroupID and DeduplicationID are a FIFO queue's MessageGroupId
	// (default "batchinfer": one group keeps a producer run in order) and
	// MessageDeduplicationId (default random: a body sent again on
	// purpose, such as a record file's continuation, is a new message).
	GroupID, DeduplicationID string
}

// Sent is the answer for one sent message, in the order given.
type Sent struct {
	MessageID string
	Err       error // this entry failed; the others may have been sent
}

// Send sends msgs with SendMessageBatch in groups of ten. The error is for
// calls that failed as a whole (their entries carry it too); per-entry
// failures are only in Sent.Err.
func (q *Queue) Send(ctx context.Context, msgs []OutMessage) ([]Sent, error) {
	sent := make([]Sent, len(msgs))
	var errs []error
	fifo := strings.HasSuffix(q.URL, ".fifo")
	for start, chunk := range chunks(msgs, MaxSQSBatch) {
		entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.SendMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.Body), MessageAttributes: m.Attributes,
			}
			if fifo {
				entries[i].MessageGroupId = aws.String(cmp.Or(m.GroupID, "batchinfer"))
				entries[i].MessageDeduplicationId = aws.String(cmp.Or(m.DeduplicationID, rand.Text()))
			}
		}
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			err = Classify(err, fmt.Sprintf("send %d messages to %s", len(chunk), q.URL))
			errs = append(errs, err)
			for i := range chunk {
				sent[start+i].Err = err
			}
			continue
		}
		for _, ok := range out.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			sent[start+i].MessageID = aws.ToString(ok.MessageId)
		}
		for _, f := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			sent[start+i].Err = fmt.Errorf("send to %s: %s: %s", q.URL, aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return sent, errors.Join(errs...)
}

// Purge deletes every message of the queue (SQS allows one purge a minute).
func (q *Queue) Purge(ctx context.Context) error {
	_, err := q.Client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q.URL)})
	return Classify(err, "purge "+q.URL)
}

// ARN returns the queue's ARN.
func (q *Queue) ARN(ctx context.Context) (string, error) {
	attrs, err := q.attributes(ctx, types.QueueAttributeNameQueueArn)
	return attrs[string(types.QueueAttributeNameQueueArn)], err
}

// VisibilityTimeout returns the queue's default visibility timeout.
func (q *Queue) VisibilityTimeout(ctx context.Context) (time.Duration, error) {
	attrs, err := q.attributes(ctx, types.QueueAttributeNameVisibilityTimeout)
	if err != nil {
		return 0, err
	}
	s, err := strconv.Atoi(attrs[string(types.QueueAttributeNameVisibilityTimeout)])
	if err != nil {
		return 0, fmt.Errorf("visibility timeout of %s: %w", q.URL, err)
	}
	return time.Duration(s) * time.Second, nil
}

// Backlog is what a queue holds, from its approximate attributes.
type Backlog struct {
	Visible  int // waiting to be received (ApproximateNumberOfMessages)
	InFlight int // received and hidden: being worked on, or stranded until their visibility timeout (…NotVisible)
	Delayed  int // sent with a delay, or a retry's backoff not yet over (…Delayed)
	// Visibility is the queue's visibility timeout: a message in flight is
	// hidden at most this long after its receive (unless its consumer
	// extends it).
	Visibility time.Duration
}

// Describe is the backlog for people, e.g. "5 waiting, 10 in flight
// (being worked on, or hidden until 18:06:00 at the latest: the 6m0s
// visibility timeout)": a message in flight comes back at the latest one
// visibility timeout after its receive, when its consumer stopped or lost
// it.
func (b Backlog) Describe(now time.Time) string {
	parts := []string{fmt.Sprintf("%d waiting", b.Visible)}
	if b.InFlight > 0 {
		p := fmt.Sprintf("%d in flight", b.InFlight)
		if b.Visibility > 0 {
			p += fmt.Sprintf(" (being worked on, or hidden until %s at the latest: the %s visibility timeout)",
				now.Add(b.Visibility).Local().Format("15:04:05"), b.Visibility)
		}
		parts = append(parts, p)
	}
	if b.Delayed > 0 {
		parts = append(parts, fmt.Sprintf("%d delayed", b.Delayed))
	}
	return strings.Join(parts, ", ")
}

// Backlog reads the queue's message counts and visibility timeout.
func (q *Queue) Backlog(ctx context.Context) (Backlog, error) {
	attrs, err := q.attributes(ctx, types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		types.QueueAttributeNameVisibilityTimeout)
	if err != nil {
		return Backlog{}, err
	}
	n := func(name types.QueueAttributeName) int {
		v, _ := strconv.Atoi(attrs[string(name)])
		return v
	}
	return Backlog{
		Visible: n(types.QueueAttributeNameApproximateNumberOfMessages), InFlight: n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		Delayed: n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed), Visibility: time.Duration(n(types.QueueAttributeNameVisibilityTimeout)) * time.Second,
	}, nil
}

func (q *Queue) attributes(ctx context.Context, names ...types.QueueAttributeName) (map[string]string, error) {
	out, err := q.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL), AttributeNames: names})
	if err != nil {
		return nil, Classify(err, "get attributes of "+q.URL)
	}
	return out.Attributes, nil
}

// peekVisibility hides messages while Peek pages through the queue, so a
// page does not return one it already saw; they are released right after.
const peekVisibility = 30 * time.Second

// Peek returns up to max messages (all attributes) without consuming them:
// it receives them, then makes them visible again at once. Each peek
// counts as a receive in ApproximateReceiveCount.
func (q *Queue) Peek(ctx context.Context, max int) ([]types.Message, error) {
	var got []types.Message
	seen := map[string]bool{}
	defer func() {
		if len(got) > 0 {
			// Released even when ctx ended: hidden messages would vanish
			// from the operator's view for the whole peek visibility.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = q.release(rctx, got)
		}
	}()
	for len(got) < max {
		msgs, err := q.Receive(ctx, max-len(got), 0, peekVisibility)
		if err != nil {
			return got, err
		}
		fresh := 0
		for _, m := range msgs {
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id] = true
				got = append(got, m)
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	return got, nil
}

// Redrive moves up to max messages (max ≤ 0: all) from q to dst: send,
// then delete what was sent, so a failure re-sends rather than loses. The
// message attributes go along, as SQS's own redrive keeps them: those the
// worker set on a dead letter (jobs.AttrErrorCode, ...) make the worker
// rerun the job instead of taking the message for a duplicate. On AWS,
// `aws sqs start-message-move-task` does this server side; the emulators
// lack it. It returns how many messages moved.
func (q *Queue) Redrive(ctx context.Context, dst *Queue, max int) (int, error) {
	moved := 0
	for max <= 0 || moved < max {
		want := MaxSQSBatch
		if max > 0 {
			want = min(want, max-moved)
		}
		msgs, err := q.Receive(ctx, want, 0, peekVisibility)
		if err != nil || len(msgs) == 0 {
			return moved, err
		}
		out := make([]OutMessage, len(msgs))
		for i, m := range msgs {
			out[i] = OutMessage{Body: aws.ToString(m.Body), Attributes: maps.Clone(m.MessageAttributes)}
		}
		sent, err := dst.Send(ctx, out)
		var done, failed []types.Message
		for i, s := range sent {
			if s.Err == nil {
				done = append(done, msgs[i])
			} else {
				failed = append(failed, msgs[i])
				err = errors.Join(err, s.Err)
			}
		}
		if derr := q.Delete(ctx, done); derr != nil {
			return moved, errors.Join(err, derr)
		}
		moved += len(done)
		if err != nil {
			_ = q.release(context.WithoutCancel(ctx), failed)
			return moved, err
		}
	}
	return moved, nil
}

// BatchError is the error of a batch call (Delete, ChangeVisibilityBatch)
// that left entries undone.
type BatchError struct {
	// Failed are the indexes, into the slice given, of the entries not
	// done, ascending.
	Failed []int
	// Err joins the reasons: calls that failed as a whole (classified, see
	// Classify) and entries SQS refused (naming the message and SQS's code).
	Err error
}

func (e *BatchError) Error() string { return e.Err.Error() }
func (e *BatchError) Unwrap() error { return e.Err }

// inTens runs call on items in chunks of ten, each entry's Id its index in
// the chunk, and gathers what was not done into a *BatchError (nil when
// every entry was). name says which message an item is, for errors. A
// call that fails as a whole, transiently, is tried again while ctx lasts
// (retryTransient): deleting or changing a message twice is harmless,
// leaving it undone redelivers it.
func inTens[T any](ctx context.Context, q *Queue, items []T, doing string, call func(chunk []T) ([]types.BatchResultErrorEntry, error), name func(T) string) error {
	var failed []int
	var errs []error
	for start, chunk := range chunks(items, MaxSQSBatch) {
		var refused []types.BatchResultErrorEntry
		err := retryTransient(ctx, func() error {
			var err error
			refused, err = call(chunk)
			return Classify(err, fmt.Sprintf("%s %d messages on %s", doing, len(chunk), q.URL))
		})
		if err != nil {
			errs = append(errs, err)
			for i := range chunk {
				failed = append(failed, start+i)
			}
			continue
		}
		for _, f := range refused {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < 0 || i >= len(chunk) {
				errs = append(errs, fmt.Errorf("%s on %s: SQS refused unknown entry %q: %s", doing, q.URL, aws.ToString(f.Id), aws.ToString(f.Message)))
				continue
			}
			failed = append(failed, start+i)
			errs = append(errs, fmt.Errorf("%s message %s on %s: %s: %s", doing, name(chunk[i]), q.URL, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(failed)
	return &BatchError{Failed: failed, Err: errors.Join(errs...)}
}

// chunks yields items in consecutive runs of at most n, each with the
// index of its first item.
func chunks[T any](items []T, n int) iter.Seq2[int, []T] {
	return func(yield func(int, []T) bool) {
		for start := 0; start < len(items); start += n {
			if !yield(start, items[start:min(start+n, len(items))]) {
				return
			}
		}
	}
}

func messageID(m types.Message) string { return aws.ToString(m.MessageId) }
