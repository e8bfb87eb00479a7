package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/store"
)

// ESM plays Lambda's SQS event source mapping for one queue and one
// function: receive a batch, invoke, delete what succeeded, and leave the
// rest to come back after the queue's visibility timeout.
type ESM struct {
	SQS      *sqs.Client
	QueueURL string
	// QueueARN is the event's eventSourceARN; "" looks it up once with
	// GetQueueAttributes.
	QueueARN string
	// Region is the event's awsRegion; "" uses the SQS client's region.
	Region string
	// BatchSize is 1..10000, default 10.
	BatchSize int
	// Window is MaximumBatchingWindow: keep receiving (10 messages per
	// ReceiveMessage call at most) until BatchSize, the 6 MB payload limit,
	// or the window ends after the first message. 0 sends whatever the
	// first receive returned.
	Window time.Duration
	// Invoke calls the function, e.g. (*RIE).Invoke. An error means a
	// function error: the whole batch is retried.
	Invoke InvokeFunc
	// Instances, when set, are the function's instances (one per runtime
	// emulator, each serving one invoke at a time): Run keeps up to
	// len(Instances) batches in flight, one per instance, as Lambda's
	// MaximumConcurrency does; Invoke is then unused by Run.
	Instances []InvokeFunc
	// ReportBatchItemFailures honours the function's batchItemFailures
	// (FunctionResponseTypes ReportBatchItemFailures); our tooling always
	// sets it. Without it, any successful invocation deletes the whole
	// batch, as on Lambda, where the response is then ignored.
	ReportBatchItemFailures bool
	// Grace is how long Run lets the invocations in flight finish once its
	// context ends (default DefaultGrace). Messages whose invocation did
	// not finish by then, and any received after the end, are handed back
	// (visibility 0): a restart takes them up at once instead of after
	// the visibility timeout.
	Grace time.Duration
	// Log receives one line per cycle; nil discards.
	Log *slog.Logger

	// visibility is the queue's visibility timeout, which each batch gets
	// once received: receives themselves hide messages for a shorter hold
	// (store.BatchOptions.Hold), so a receive whose answer is lost strands
	// nothing for long.
	visibility time.Duration
}

// DefaultGrace is ESM.Grace's default: a batch of the local function
// usually takes well under a second.
const DefaultGrace = 10 * time.Second

// InvokeFunc calls one function instance with an event.
type InvokeFunc = func(ctx context.Context, payload []byte) ([]byte, error)

// CycleStats says what one Cycle did.
type CycleStats struct {
	Received, Deleted, Failed int
	// Released are the messages handed back (visibility 0) because the
	// ESM was stopping: received after its context ended, or invoked and
	// not finished within Grace.
	Released int
	// InvokeErr is the function error or the reason its response made the
	// batch a complete failure; nil when the invocation was judged.
	InvokeErr error
}

// maxPayload is Lambda's synchronous invocation payload limit: the ESM
// stops filling a batch once the event would reach it.
const maxPayload = 6 * 1024 * 1024

// emptyQueueSleep is how long Run waits after a cycle found no messages.
const emptyQueueSleep = 200 * time.Millisecond

// cycle is one round through invoke; the source is resolved. Once ctx
// ends, nothing new is invoked and what is held is handed back: a batch
// received as ctx ended at once, a batch in flight when its invocation
// has not finished Grace after it.
func (e *ESM) cycle(ctx context.Context, invoke InvokeFunc) (CycleStats, error) {
	var st CycleStats
	msgs, err := e.receiveBatch(ctx)
	st.Received = len(msgs)
	if len(msgs) == 0 {
		return st, err
	}
	if err != nil {
		// Messages received before the receive that failed are ours until
		// their visibility timeout: invoke with them rather than strand them.
		e.logger().Warn("esm: receive failed part-way; invoking with what arrived", "queue", e.QueueURL, "messages", len(msgs), "error", err)
		err = nil
	}
	if ctx.Err() != nil {
		return e.handBack(ctx, msgs, st, "stopping before invoking")
	}
	payload, err := json.Marshal(BuildEvent(msgs, e.QueueARN, e.Region))
	if err != nil {
		return st, fmt.Errorf("esm: encode SQS event: %w", err)
	}
	start := time.Now()
	ictx, cancel := e.invokeContext(ctx)
	body, invErr := invoke(ictx, payload)
	cut := invErr != nil && ictx.Err() != nil
	cancel()
	if cut {
		st.InvokeErr = invErr
		return e.handBack(ctx, msgs, st, "stopping: the invocation did not finish within the grace period")
	}

	toDelete := e.judge(msgs, body, invErr, &st)
	if len(toDelete) > 0 {
		// Delete with a context of its own: a cycle cancelled after the
		// function succeeded must still acknowledge, or the work is redone.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		deleted, derr := e.deleteMessages(dctx, toDelete)
		cancel()
		st.Deleted = deleted
		if derr != nil {
			err = derr
		}
	}
	st.Failed = st.Received - st.Deleted
	e.logger().Info("esm cycle", "queue", e.QueueURL, "received", st.Received, "deleted", st.Deleted,
		"failed", st.Failed, "invoke_ms", time.Since(start).Milliseconds(), "invoke_error", errString(st.InvokeErr))
	return st, err
}

// invokeContext outlives ctx by Grace: an invocation in flight when the
// ESM is told to stop gets that long to finish.
func (e *ESM) invokeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ictx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	grace := e.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, cancel)
	})
	return ictx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// handBack makes msgs visible again at once, so a restarted ESM (or
// another consumer) takes them up without waiting out the visibility
// timeout.
func (e *ESM) handBack(ctx context.Context, msgs []types.Message, st CycleStats, why string) (CycleStats, error) {
	changes := make([]store.VisibilityChange, len(msgs))
	for i, m := range msgs {
		changes[i] = store.VisibilityChange{ReceiptHandle: aws.ToString(m.ReceiptHandle), MessageID: aws.ToString(m.MessageId)}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := e.queue().ChangeVisibilityBatch(rctx, changes)
	st.Released = len(msgs)
	var be *store.BatchError
	if errors.As(err, &be) {
		st.Released -= len(be.Failed)
	}
	st.Failed = st.Received - st.Deleted
	e.logger().Info("esm handed messages back", "queue", e.QueueURL, "why", why, "received", st.Received,
		"released", st.Released, "invoke_error", errString(st.InvokeErr))
	if err != nil {
		return st, fmt.Errorf("esm: hand back %d messages: %w", len(msgs), err)
	}
	return st, nil
}

// judge decides which messages to delete after the invocation.
func (e *ESM) judge(msgs []types.Message, body []byte, invErr error, st *CycleStats) []types.Message {
	if invErr != nil {
		st.InvokeErr = invErr
		return nil
	}
	if !e.ReportBatchItemFailures {
		return msgs
	}
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[aws.ToString(m.MessageId)] = true
	}
	out := judgeResponse(body, ids)
	switch {
	case out.invalid != nil:
		st.InvokeErr = out.invalid
		return nil
	case out.deleteAll:
		return msgs
	}
	keep := msgs[:0:0]
	for _, m := range msgs {
		if !out.retry[aws.ToString(m.MessageId)] {
			keep = append(keep, m)
		}
	}
	return keep
}

// Run loops cycles until ctx ends, one loop per instance (Instances, else
// the one Invoke), pausing briefly when the queue is empty and backing off
// after an SQS error (Lambda keeps polling through them). It returns nil
// when ctx ends.
func (e *ESM) Run(ctx context.Context) error {
	instances := e.Instances
	if len(instances) == 0 {
		instances = []InvokeFunc{e.Invoke}
	}
	if e.SQS == nil || e.QueueURL == "" || slices.ContainsFunc(instances, func(f InvokeFunc) bool { return f == nil }) {
		return errors.New("esm: SQS, QueueURL and Invoke (or Instances) are required")
	}
	// Resolved once, before the loops share the ESM.
	for ctx.Err() == nil {
		err := e.resolveSource(ctx)
		if err == nil {
			break
		}
		e.logger().Warn("esm: resolve the source queue", "queue", e.QueueURL, "error", err)
		sleepCtx(ctx, time.Second)
	}
	var wg sync.WaitGroup
	for _, invoke := range instances {
		wg.Go(func() { e.loop(ctx, invoke) })
	}
	wg.Wait()
	return nil
}

// loop feeds one instance until ctx ends.
func (e *ESM) loop(ctx context.Context, invoke InvokeFunc) {
	for ctx.Err() == nil {
		st, err := e.cycle(ctx, invoke)
		pause := time.Duration(0)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			e.logger().Warn("esm cycle failed", "queue", e.QueueURL, "error", err)
			pause = time.Second
		case st.Received == 0:
			pause = emptyQueueSleep
		}
		sleepCtx(ctx, pause)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (e *ESM) batchSize() int {
	switch {
	case e.BatchSize <= 0:
		return 10
	case e.BatchSize > 10000:
		return 10000
	}
	return e.BatchSize
}

// receiveBatch gathers up to BatchSize messages within the window, as
// Lambda's poller does; with an error, what arrived before it. An empty queue is watched for one window before
// the cycle gives up, so Run neither spins nor misses a message that
// arrives just after the cycle began.
func (e *ESM) receiveBatch(ctx context.Context) ([]types.Message, error) {
	msgs, _, err := e.queue().ReceiveBatch(ctx, store.BatchOptions{
		Max: e.batchSize(), Window: e.Window, IdleWait: e.Window, MaxBytes: maxPayload,
		Visibility: e.visibility, Hold: store.DefaultHold,
	})
	if err != nil {
		// What arrived before the receive that failed is returned too.
		return msgs, fmt.Errorf("esm: %w", err)
	}
	return msgs, nil
}

// deleteMessages acknowledges msgs and returns how many SQS confirmed.
func (e *ESM) deleteMessages(ctx context.Context, msgs []types.Message) (int, error) {
	err := e.queue().Delete(ctx, msgs)
	if err == nil {
		return len(msgs), nil
	}
	deleted := 0
	var be *store.BatchError
	if errors.As(err, &be) {
		deleted = len(msgs) - len(be.Failed)
	}
	return deleted, fmt.Errorf("esm: %w", err)
}

func (e *ESM) queue() *store.Queue {
	return &store.Queue{Client: e.SQS, URL: e.QueueURL, Log: e.Log}
}

// resolveSource fills QueueARN and Region when they were left empty, and
// reads the queue's visibility timeout.
func (e *ESM) resolveSource(ctx context.Context) error {
	if e.Region == "" {
		e.Region = e.SQS.Options().Region
	}
	if e.visibility == 0 {
		v, err := e.queue().VisibilityTimeout(ctx)
		if err != nil {
			return fmt.Errorf("esm: %w", err)
		}
		e.visibility = v
	}
	if e.QueueARN != "" {
		return nil
	}
	arn, err := e.queue().ARN(ctx)
	if err != nil {
		return fmt.Errorf("esm: %w", err)
	}
	if e.QueueARN = arn; e.QueueARN == "" {
		return fmt.Errorf("esm: %s has no QueueArn attribute", e.QueueURL)
	}
	if e.Region == "" {
		// arn:aws:sqs:REGION:ACCOUNT:NAME
		if parts := strings.Split(e.QueueARN, ":"); len(parts) > 3 {
			e.Region = parts[3]
		}
	}
	return nil
}

func (e *ESM) logger() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
