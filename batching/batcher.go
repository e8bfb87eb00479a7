package batching

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Batcher.Add after Close.
var ErrClosed = errors.New("batching: batcher closed")

// Batcher groups items arriving one by one (messages of a long-running
// poller) into batches: a batch is emitted when it holds maxItems or when
// maxWait has passed since its first item, whichever comes first. It holds
// at most one batch waiting for the consumer plus one filling; beyond that
// Add blocks, so a slow consumer slows its producers instead of letting
// memory grow. The consumer must read Batches until it is closed.
type Batcher[T any] struct {
	maxItems int
	maxWait  time.Duration

	in        chan T
	out       chan []T
	closed    chan struct{}
	closeOnce sync.Once
}

// NewBatcher starts a batcher. maxItems below 1 counts as 1; a maxWait of
// zero or less emits whatever has arrived as soon as the consumer is ready.
func NewBatcher[T any](maxItems int, maxWait time.Duration) *Batcher[T] {
	b := &Batcher[T]{
		maxItems: max(maxItems, 1),
		maxWait:  max(maxWait, 0),
		in:       make(chan T),
		out:      make(chan []T),
		closed:   make(chan struct{}),
	}
	go b.loop()
	return b
}

// Add hands item to the batcher, blocking while the batcher is full. It
// returns ctx's error if ctx is done first and ErrClosed after Close; an
// item Add accepted is always emitted.
func (b *Batcher[T]) Add(ctx context.Context, item T) error {
	select {
	case <-b.closed:
		return ErrClosed
	default:
	}
	select {
	case b.in <- item:
		return nil
	case <-b.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Batches delivers the batches in the order their items were added. It is
// closed after Close once every accepted item has been delivered.
func (b *Batcher[T]) Batches() <-chan []T {
	return b.out
}

// Close stops accepting items, flushes what is pending to Batches and
// then closes it. It does not wait for the consumer and may be called
// more than once.
func (b *Batcher[T]) Close() {
	b.closeOnce.Do(func() { close(b.closed) })
}

// loop owns all batcher state. ready is a finished batch waiting for the
// consumer; filling collects the next one and is due once it is full or
// its timer has fired.
func (b *Batcher[T]) loop() {
	defer close(b.out)
	var (
		ready   []T
		filling []T
		due     bool
		timer   = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	for {
		if ready == nil && due {
			ready, filling, due = filling, nil, false
		}
		var in <-chan T
		if len(filling) < b.maxItems {
			in = b.in
		}
		var out chan<- []T
		if ready != nil {
			out = b.out
		}
		select {
		case item := <-in:
			filling = append(filling, item)
			if len(filling) == 1 {
				timer.Reset(b.maxWait)
			}
			if len(filling) == b.maxItems {
				timer.Stop()
				due = true
			}
		case <-timer.C:
			due = len(filling) > 0
		case out <- ready:
			ready = nil
		case <-b.closed:
			for _, batch := range [][]T{ready, filling} {
				if len(batch) > 0 {
					b.out <- batch
				}
			}
			return
		}
	}
}
