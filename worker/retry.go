package worker

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Retrying happens at two scales: inside an invocation (store.Retry, a
// call tried again within milliseconds) and between deliveries
// (retryDelay, a message kept hidden for seconds to minutes before it
// comes back).

// redeliveryTimeout bounds the visibility change of an invocation: it
// runs after the work, inside the time the deadline margin kept.
const redeliveryTimeout = 3 * time.Second

// retryDelay is how long a message received receives times stays hidden
// before its next delivery: RetryBase doubled per earlier receive, ±50%
// jitter (so a throttled burst does not come back as one), capped by
// RetryMax.
func (c Config) retryDelay(receives int) time.Duration {
	base, ceiling := c.RetryBase, c.RetryMax
	if base <= 0 {
		base = DefaultRetryBase
	}
	if ceiling <= 0 {
		ceiling = DefaultRetryMax
	}
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(base), backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5), backoff.WithMaxInterval(ceiling),
		backoff.WithMaxElapsedTime(0),
	)
	d := base
	// 64 doublings pass any ceiling; the loop stops there.
	for range min(max(receives, 1), 64) {
		d = b.NextBackOff()
	}
	return min(d, ceiling)
}

// delayRetries sets each retried SQS message's visibility to its backoff,
// one ChangeMessageVisibilityBatch (per ten messages) per source queue. A
// change that fails leaves the message to the queue's visibility timeout:
// later, never lost.
func (w *Worker) delayRetries(ctx context.Context, inv *jobs.Invocation, out Outcome) {
	if w.Redeliveries == nil || inv.Direct || inv.S3Batch != nil {
		return
	}
	byQueue := map[string][]store.VisibilityChange{}
	for i, st := range out.States {
		rec := inv.Messages[i].Delivered
		if !st.Retry || rec.ReceiptHandle == "" || rec.EventSourceARN == "" {
			continue
		}
		byQueue[rec.EventSourceARN] = append(byQueue[rec.EventSourceARN], store.VisibilityChange{
			ReceiptHandle: rec.ReceiptHandle, MessageID: rec.MessageId,
			Timeout: w.Config.retryDelay(inv.Messages[i].ReceiveCount),
		})
	}
	if len(byQueue) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redeliveryTimeout)
	defer cancel()
	for arn, changes := range byQueue {
		err := w.Redeliveries.ChangeVisibility(ctx, arn, changes)
		if err != nil {
			failed := len(changes)
			var be *store.BatchError
			if errors.As(err, &be) {
				failed = len(be.Failed)
			}
			w.logger().Warn("could not delay retries; they come back after the visibility timeout",
				"queue_arn", arn, "messages", len(changes), "failed", failed, "err", err)
		}
	}
}
