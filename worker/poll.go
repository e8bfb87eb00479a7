package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
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
	Grace             time.Duration // BATCHINFER_POLL_GRACE: on SIGTERM, how long batches in flight may finish (default 25s)
	BatchTimeout      time.Duration // BATCHINFER_POLL_TIMEOUT: the longest a batch may run, its invocation deadline (default 15m)
}

// Poll mode limits (the defaults are the settings table's).
const (
	MaxPollBatchSize = 10000
	// maxPollTimeout is SQS's limit on how long a message can be kept
	// hidden from its first receive.
	maxPollTimeout = 12 * time.Hour
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
		Grace:             e.Duration(settings.PollGrace),
		BatchTimeout:      e.Duration(settings.PollTimeout),
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
	case c.BatchTimeout < 5*time.Second || c.BatchTimeout > maxPollTimeout:
		e.Fail(settings.PollTimeout, "%s is outside 5s..12h (SQS keeps a message hidden at most 12h)", c.BatchTimeout)
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
	Visibility
}

// Poller runs the worker outside Lambda: it receives batches from the
// queue itself and does what Lambda's event source mapping does around the
// handler (batching window, deletes, redelivery), so the same Process core
// serves both. Retries are delayed by their backoff as in Lambda, once the
// poller has let go of their messages.
type Poller struct {
	w      *Worker
	queue  Source
	cfg    PollConfig
	holder *holder
}

// NewPoller polls q for w with c as LoadPollConfig returns it (every
// default filled in). It changes neither w nor its Config: the metrics'
// mode is the caller's to set when it builds the worker.
//
// c.IdleWait is the long-poll wait while the queue is empty; a receive in
// progress is let finish on shutdown (its messages are handed back at
// once), so that no message is left invisible. c.Grace is how long the
// batches in flight may finish once Run's context ends; the messages of
// those that have not are then handed back, visible again at once.
// c.BatchTimeout is a batch's deadline from its receive; while it runs, a
// heartbeat keeps its messages hidden.
func NewPoller(w *Worker, q Source, c PollConfig) *Poller {
	return &Poller{w: w, queue: q, cfg: c}
}

// pollTarget is what Run resolves once: where messages come from and how
// long each receive holds them.
type pollTarget struct {
	arn        string
	visibility time.Duration
}

// Run polls until ctx ends, then stops receiving, lets the batches in
// flight finish within Grace (their messages are deleted or scheduled for
// redelivery), hands back the messages still held (visible again at once,
// for the next poller) and returns nil. While batches run, a heartbeat
// extends their messages' visibility. It returns an error only when the
// queue cannot be reached at start.
func (p *Poller) Run(ctx context.Context) error {
	tg := pollTarget{visibility: p.cfg.VisibilityTimeout}
	var err error
	if tg.arn, err = p.queue.ARN(ctx); err != nil {
		return fmt.Errorf("poll %s: %w", p.cfg.QueueURL, err)
	}
	if tg.visibility <= 0 {
		if tg.visibility, err = p.queue.VisibilityTimeout(ctx); err != nil {
			return fmt.Errorf("poll %s: %w", p.cfg.QueueURL, err)
		}
	}
	log := p.w.logger().With("queue_url", p.cfg.QueueURL)
	log.Info("polling", "batch_size", p.cfg.BatchSize, "window", p.cfg.Window.String(),
		"visibility_timeout", tg.visibility.String(), "concurrency", p.cfg.Concurrency,
		"grace", p.cfg.Grace.String(), "batch_timeout", p.cfg.BatchTimeout.String())

	p.holder = newHolder(p.queue, tg.visibility, log)
	hbCtx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHeartbeat()
	go p.holder.heartbeat(hbCtx)

	// The grace period runs from the stop signal, not from the end of the
	// receive then in flight (a long poll of up to 20 s): the whole stop
	// fits in it, and so in ECS's stop timeout.
	graceOver := make(chan struct{})
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(p.cfg.Grace, func() { close(graceOver) }) })
	defer stopGrace()
	var wg sync.WaitGroup
	p.receiveLoop(ctx, tg, &wg, log)
	p.drain(ctx, &wg, graceOver, log)
	return nil
}

// receiveLoop receives and starts batches until ctx ends.
func (p *Poller) receiveLoop(ctx context.Context, tg pollTarget, wg *sync.WaitGroup, log *slog.Logger) {
	// A slot is taken before receiving, so messages are never held
	// invisible while waiting for a busy worker.
	slots := make(chan struct{}, p.cfg.Concurrency)
	failures := 0
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			return
		}
		batch, at, err := p.receive(ctx, tg)
		if err != nil {
			failures++
			log.Warn("receive failed", "err", err, "failures", failures)
			select { // a pause growing with the failures, cut short by the stop
			case <-time.After(min(time.Duration(failures)*time.Second, 20*time.Second)):
			case <-ctx.Done():
			}
		} else {
			failures = 0
		}
		if len(batch) == 0 {
			<-slots
			continue
		}
		// Held from now: the heartbeat keeps them hidden, and a shutdown
		// hands them back, even those received as ctx ended.
		p.holder.hold(batch, at)
		if ctx.Err() != nil {
			<-slots
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			// The batch is not cut when shutdown begins: drain gives it
			// Grace to finish.
			p.process(context.WithoutCancel(ctx), tg, batch, at)
		})
	}
}

// drain waits for the batches in flight until graceOver, then hands back
// what is still held.
func (p *Poller) drain(ctx context.Context, wg *sync.WaitGroup, graceOver <-chan struct{}, log *slog.Logger) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := true
	select {
	case <-done:
	case <-graceOver:
		finished = false
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	n := p.holder.handBack(hctx)
	log.Info("poller stopped", "batches_finished", finished, "handed_back", n)
}

// receive gathers one batch: long polling while nothing has arrived, then
// filling until the batch is full or Window has passed since the first
// message. at is when the receive of the first message started: the
// messages' visibility timeouts run from no earlier than that. What was
// received before a failed receive is still processed.
func (p *Poller) receive(ctx context.Context, tg pollTarget) ([]events.SQSMessage, time.Time, error) {
	return p.queue.ReceiveRecords(ctx, store.BatchOptions{
		Max: p.cfg.BatchSize, Window: p.cfg.Window, IdleWait: p.cfg.IdleWait, Visibility: tg.visibility, Hold: store.DefaultHold,
	}, tg.arn)
}

// process runs one batch through the worker with BatchTimeout as its
// deadline (the heartbeat keeps its messages hidden meanwhile), lets go of
// its messages, delays the retries by their backoff (no heartbeat undoes
// it now) and deletes what is done.
func (p *Poller) process(ctx context.Context, tg pollTarget, batch []events.SQSMessage, at time.Time) {
	pctx, cancel := context.WithDeadline(ctx, at.Add(p.cfg.BatchTimeout))
	defer cancel()

	inv := &jobs.Invocation{Messages: make([]jobs.Message, len(batch))}
	for i, m := range batch {
		inv.Messages[i] = jobs.DecodeMessage(m)
	}
	out := p.w.process(pctx, inv)

	handles := make([]string, len(batch))
	for i, m := range batch {
		handles[i] = m.ReceiptHandle
	}
	// Not held any more: a shutdown that gave up on this batch has handed
	// it back already, and another poller may be running it.
	held := p.holder.forget(handles...)
	p.w.delayRetries(pctx, inv, out)
	var done []events.SQSMessage
	for i, m := range batch {
		if !out.States[i].Retry && held[m.ReceiptHandle] {
			done = append(done, m)
		}
	}
	actx, cancelAck := context.WithTimeout(ctx, 15*time.Second)
	defer cancelAck()
	if err := p.queue.DeleteRecords(actx, done); err != nil {
		// Redelivered then, and recognised as duplicates of finished jobs.
		p.w.logger().Warn("delete failed", "err", err)
	}
	p.w.logger().Info("batch done", "messages", len(batch), "succeeded", out.Succeeded, "failed", out.Failed,
		"skipped", out.Skipped, "retried", out.Retried, "ms", time.Since(at).Milliseconds())
}
