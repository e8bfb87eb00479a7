package api

import (
	"context"
	"sync"
	"time"

	"github.com/batchinfer/batchinfer/engine"
)

// Batcher is a dynamic batcher, as Triton's: while a run is in progress,
// arriving requests' items gather and wait at most the queue delay (or
// until the run ends) to run through the engine together, so concurrent
// callers share tensor runs (the engine packs by model and shape). A
// request that finds the engine idle runs at once: a lone caller never
// pays the delay. A run starts early once it holds maxItems items.
type Batcher struct {
	eng      Engine
	delay    time.Duration
	maxItems int

	mu      sync.Mutex
	pending *batch
	running int // runs in progress
}

// batch is the items gathered for one run and the requests they came from.
type batch struct {
	items    []engine.Item
	requests int
	preds    []engine.Prediction
	deadline time.Time
	done     chan struct{}
	timer    *time.Timer
}

// NewBatcher waits up to delay for requests to share a run of at most
// maxItems items (a request larger than that runs with no company).
func NewBatcher(eng Engine, delay time.Duration, maxItems int) *Batcher {
	return &Batcher{eng: eng, delay: delay, maxItems: maxItems}
}

// Predict runs items in a shared run and returns their predictions and
// how many requests that run served; err is the context's when ctx ends
// first (the run goes on for the others).
func (b *Batcher) Predict(ctx context.Context, items []engine.Item) ([]engine.Prediction, int, error) {
	bt, at := b.join(ctx, items)
	select {
	case <-bt.done:
		return bt.preds[at : at+len(items)], bt.requests, nil
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
}

// join adds items to the pending batch (starting one, and its timer, when
// there is none) and returns the batch and where its items start.
func (b *Batcher) join(ctx context.Context, items []engine.Item) (*batch, int) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultPredictTimeout)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending != nil && len(b.pending.items)+len(items) > b.maxItems {
		b.flushLocked() // no room: that batch runs now, this request starts the next
	}
	bt := b.pending
	if bt == nil {
		bt = &batch{done: make(chan struct{}), deadline: deadline}
		b.pending = bt
		bt.timer = time.AfterFunc(b.delay, func() { b.flush(bt) })
	}
	at := len(bt.items)
	bt.items = append(bt.items, items...)
	bt.requests++
	if deadline.After(bt.deadline) {
		bt.deadline = deadline
	}
	if len(bt.items) >= b.maxItems || b.running == 0 {
		b.flushLocked()
	}
	return bt, at
}

// flush runs bt if it is still the pending batch (its timer fired).
func (b *Batcher) flush(bt *batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == bt {
		b.flushLocked()
	}
}

// flushLocked starts the pending batch's run; b.mu is held.
func (b *Batcher) flushLocked() {
	bt := b.pending
	b.pending = nil
	bt.timer.Stop()
	b.running++
	go func() {
		// The run serves several requests: it ends at the latest of their
		// deadlines, not when the first caller goes away.
		ctx, cancel := context.WithDeadline(context.Background(), bt.deadline)
		defer cancel()
		bt.preds = b.eng.Predict(ctx, bt.items)
		close(bt.done)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.running--
		if b.running == 0 && b.pending != nil {
			b.flushLocked() // what gathered meanwhile need not wait out the delay
		}
	}()
}
