package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// PollConfig is the poll mode's configuration on top of Config, read from
// the environment like it.
type PollConfig struct {
	QueueURL          string        // BATCHINFER_QUEUE_URL (required)
	BatchSize         int           // BATCHINFER_POLL_BATCH_SIZE: messages per batch, 1..10000 (default 10)
	Window            time.Duration // BATCHINFER_POLL_WINDOW: longest wait to fill a batch (default 1s)
	VisibilityTimeout time.Duration // BATCHINFER_VISIBILITY_TIMEOUT: per receive (default: the queue's)
	Concurrency       int           // BATCHINFER_POLL_CONCURRENCY: batches in flight (default 1)
	IdleWait          time.Duration // BATCHINFER_POLL_WAIT: long-poll wait of an idle poller, ≤ 20s (default 20s)
}

// Poll mode defaults and limits.
const (
	DefaultPollBatchSize = 10
	MaxPollBatchSize     = 10000
	DefaultPollWindow    = time.Second
	DefaultIdleWait      = 20 * time.Second
)

// LoadPollConfig reads the poll variables through getenv; errors name the
// variable.
func LoadPollConfig(getenv func(string) string) (PollConfig, error) {
	e := settings.From(getenv)
	c := PollConfig{
		QueueURL:          e.Text(settings.QueueURL),
		BatchSize:         int(e.Int(settings.PollBatchSize, 1)),
		Window:            e.Duration(settings.PollWindow),
		VisibilityTimeout: e.Duration(settings.VisibilityTimeout),
		Concurrency:       int(e.Int(settings.PollConcurrency, 1)),
		IdleWait:          e.Duration(settings.PollWait),
	}
	switch {
	case e.Err() != nil:
	case c.QueueURL == "":
		return c, fmt.Errorf("%s is not set: poll mode needs the jobs queue URL", settings.QueueURL.Name)
	case c.BatchSize > MaxPollBatchSize:
		e.Fail(settings.PollBatchSize, "%d is over %d", c.BatchSize, MaxPollBatchSize)
	case c.VisibilityTimeout > 0 && c.VisibilityTimeout < 5*time.Second:
		e.Fail(settings.VisibilityTimeout, "%s is too short to run a batch (at least 5s)", c.VisibilityTimeout)
	case c.VisibilityTimeout > 12*time.Hour:
		e.Fail(settings.VisibilityTimeout, "%s is over SQS's 12h maximum", c.VisibilityTimeout)
	case c.IdleWait > 20*time.Second:
		e.Fail(settings.PollWait, "%s is over SQS's 20s long-poll maximum", c.IdleWait)
	}
	return c, e.Err()
}

// Source is the queue the poller consumes, in the worker's terms: batches
// of records as Lambda's event source mapping delivers them, deletes, and
// the queue's own attributes. *store.Queue implements it.
type Source interface {
	ARN(ctx context.Context) (string, error)
	VisibilityTimeout(ctx context.Context) (time.Duration, error)
	ReceiveRecords(ctx context.Context, o store.BatchOptions, queueARN string) ([]events.SQSMessage, time.Time, error)
	DeleteRecords(ctx context.Context, recs []events.SQSMessage) error
}

// Poller runs the worker outside Lambda: it receives batches from the
// queue itself and does what Lambda's event source mapping does around the
// handler (batching window, deletes, redelivery), so the same Process core
// serves both. Retries are delayed by Process itself (W.Redeliveries), as
// in Lambda.
type Poller struct {
	W                 *Worker
	Queue             Source
	QueueURL          string        // for logs
	BatchSize         int           // messages per batch, received ≤ 10 per call; default 10
	Window            time.Duration // longest wait to fill a batch after its first message; default 1s
	VisibilityTimeout time.Duration // per receive; 0 = the queue's attribute
	Concurrency       int           // batches in flight; default 1
	// IdleWait is the long-poll wait while the queue is empty (default
	// 20s). A receive in progress is let finish on shutdown, so that no
	// message is left invisible: it bounds how long a SIGTERM takes.
	IdleWait time.Duration
}

// FromConfig fills the Poller's settings from c.
func (p *Poller) FromConfig(c PollConfig) {
	p.QueueURL, p.BatchSize, p.Window = c.QueueURL, c.BatchSize, c.Window
	p.VisibilityTimeout, p.Concurrency, p.IdleWait = c.VisibilityTimeout, c.Concurrency, c.IdleWait
}

// pollTarget is what Run resolves once: where messages come from and how
// long each receive holds them.
type pollTarget struct {
	arn        string
	visibility time.Duration
}

// Run polls until ctx ends, then stops receiving, finishes the batches in
// flight (their messages are deleted or scheduled for redelivery) and
// returns nil. It returns an error only when the queue cannot be reached at
// start.
func (p *Poller) Run(ctx context.Context) error {
	tg := pollTarget{visibility: p.VisibilityTimeout}
	var err error
	if tg.arn, err = p.Queue.ARN(ctx); err != nil {
		return fmt.Errorf("poll %s: %w", p.QueueURL, err)
	}
	if tg.visibility <= 0 {
		if tg.visibility, err = p.Queue.VisibilityTimeout(ctx); err != nil {
			return fmt.Errorf("poll %s: %w", p.QueueURL, err)
		}
	}
	// Each batch reports as an invocation of its own, priced as its share
	// of the container.
	p.W.Config.Metrics.Mode, p.W.Config.Metrics.Share = metrics.ModePoll, max(p.Concurrency, 1)
	log := p.W.logger().With("queue_url", p.QueueURL)
	log.Info("polling", "batch_size", p.batchSize(), "window", p.Window.String(),
		"visibility_timeout", tg.visibility.String(), "concurrency", max(p.Concurrency, 1))

	// A slot is taken before receiving, so messages are never held
	// invisible while waiting for a busy worker.
	slots := make(chan struct{}, max(p.Concurrency, 1))
	var wg sync.WaitGroup
	failures := 0
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		batch, at, err := p.receive(ctx, tg)
		if err != nil {
			failures++
			log.Warn("receive failed", "err", err, "failures", failures)
			sleep(ctx, min(time.Duration(failures)*time.Second, 20*time.Second))
		} else {
			failures = 0
		}
		if len(batch) == 0 {
			<-slots
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			// The batch is finished even when shutdown begins: its messages
			// are ours until their visibility timeout.
			p.process(context.WithoutCancel(ctx), tg, batch, at)
		})
	}
	wg.Wait()
	log.Info("poller stopped")
	return nil
}

func (p *Poller) batchSize() int {
	if p.BatchSize <= 0 {
		return DefaultPollBatchSize
	}
	return min(p.BatchSize, MaxPollBatchSize)
}

// receive gathers one batch: long polling while nothing has arrived, then
// filling until the batch is full or Window has passed since the first
// message. at is when the receive of the first message started: the
// messages' visibility timeouts run from no earlier than that. What was
// received before a failed receive is still processed.
func (p *Poller) receive(ctx context.Context, tg pollTarget) ([]events.SQSMessage, time.Time, error) {
	idle := p.IdleWait
	if idle <= 0 {
		idle = DefaultIdleWait
	}
	return p.Queue.ReceiveRecords(ctx, store.BatchOptions{
		Max: p.batchSize(), Window: p.Window, IdleWait: idle, Visibility: tg.visibility,
	}, tg.arn)
}

// process runs one batch through the worker with the deadline the
// messages' visibility sets, then deletes what is done; Process has
// already delayed the retries by their backoff.
func (p *Poller) process(ctx context.Context, tg pollTarget, batch []events.SQSMessage, at time.Time) {
	// Deletes and visibility changes must land before the messages become
	// visible again, or another consumer would start them over.
	margin := min(tg.visibility/10, 2*time.Second)
	pctx, cancel := context.WithDeadline(ctx, at.Add(tg.visibility-margin))
	defer cancel()

	inv := &jobs.Invocation{Messages: make([]jobs.Message, len(batch))}
	for i, m := range batch {
		inv.Messages[i] = jobs.DecodeMessage(m)
	}
	out := p.W.Process(pctx, inv)

	retry := map[string]bool{}
	for _, id := range out.RetryIDs {
		retry[id] = true
	}
	var done []events.SQSMessage
	for _, m := range batch {
		if !retry[m.MessageId] {
			done = append(done, m)
		}
	}
	actx, cancelAck := context.WithTimeout(ctx, 15*time.Second)
	defer cancelAck()
	if err := p.Queue.DeleteRecords(actx, done); err != nil {
		// Redelivered then, and recognised as duplicates of finished jobs.
		p.W.logger().Warn("delete failed", "err", err)
	}
	p.W.logger().Info("batch done", "messages", len(batch), "succeeded", out.Succeeded, "failed", out.Failed,
		"skipped", out.Skipped, "retried", out.Retried, "ms", time.Since(at).Milliseconds())
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
