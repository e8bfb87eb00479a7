package batching

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// hang is how long a test waits for something that should happen at once
// before it declares the batcher stuck; it bounds failures, not speed.
const hang = 10 * time.Second

// addAll adds items in order; it may run in its own goroutine, so it
// reports with Errorf rather than Fatalf.
func addAll(t *testing.T, b *Batcher[int], items ...int) {
	t.Helper()
	for _, it := range items {
		if err := b.Add(context.Background(), it); err != nil {
			t.Errorf("add %d: %v", it, err)
			return
		}
	}
}

// next receives one batch, failing if none comes or Batches is closed.
func next(t *testing.T, b *Batcher[int]) []int {
	t.Helper()
	select {
	case batch, ok := <-b.Batches():
		if !ok {
			t.Fatal("Batches closed, want a batch")
		}
		return batch
	case <-time.After(hang):
		t.Fatal("no batch")
	}
	return nil
}

// drain reads batches until Batches is closed.
func drain(t *testing.T, b *Batcher[int]) [][]int {
	t.Helper()
	var out [][]int
	for {
		select {
		case batch, ok := <-b.Batches():
			if !ok {
				return out
			}
			out = append(out, batch)
		case <-time.After(hang):
			t.Fatal("Batches never closed")
		}
	}
}

func TestBatcherEmits(t *testing.T) {
	tests := []struct {
		name     string
		maxItems int
		maxWait  time.Duration
		add      []int
		want     [][]int // batches before Close
		atClose  [][]int // batches flushed by Close
	}{
		{
			name: "by size", maxItems: 3, maxWait: time.Hour,
			add:     []int{0, 1, 2, 3, 4, 5, 6},
			want:    [][]int{{0, 1, 2}, {3, 4, 5}},
			atClose: [][]int{{6}},
		},
		{
			name: "by size, exact multiple leaves nothing to flush", maxItems: 2, maxWait: time.Hour,
			add:  []int{0, 1, 2, 3},
			want: [][]int{{0, 1}, {2, 3}},
		},
		{
			name: "maxItems below 1 counts as 1", maxItems: 0, maxWait: time.Hour,
			add:  []int{0, 1},
			want: [][]int{{0}, {1}},
		},
		{
			name: "only Close flushes a batch that is neither full nor old", maxItems: 10, maxWait: time.Hour,
			add:     []int{0, 1, 2},
			atClose: [][]int{{0, 1, 2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBatcher[int](tc.maxItems, tc.maxWait)
			added := make(chan struct{})
			go func() { defer close(added); addAll(t, b, tc.add...) }()
			var got [][]int
			for range tc.want {
				got = append(got, next(t, b))
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Fatalf("batches %v, want %v", got, tc.want)
			}
			// Everything must be accepted before Close, or Close would
			// race the producer.
			<-added
			b.Close()
			if rest := drain(t, b); !slices.EqualFunc(rest, tc.atClose, slices.Equal) {
				t.Fatalf("flushed at close %v, want %v", rest, tc.atClose)
			}
		})
	}
}

func TestBatcherEmitsByTime(t *testing.T) {
	for _, wait := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond} {
		t.Run(wait.String(), func(t *testing.T) {
			b := NewBatcher[int](100, wait)
			defer b.Close()
			// Round after round, a partial batch must come out on its own
			// (no Close, far below maxItems) holding the items in order.
			for round := range 3 {
				items := []int{round * 10, round*10 + 1, round*10 + 2}
				addAll(t, b, items...)
				var got []int
				for len(got) < len(items) {
					batch := next(t, b)
					if len(batch) == 0 {
						t.Fatal("empty batch")
					}
					got = append(got, batch...)
				}
				if !slices.Equal(got, items) {
					t.Fatalf("round %d: got %v, want %v", round, got, items)
				}
			}
		})
	}
}

func TestBatcherCloseFlushesEverything(t *testing.T) {
	tests := []struct {
		name string
		add  []int
		want [][]int
	}{
		{"nothing pending", nil, nil},
		{"one ready batch", []int{0, 1}, [][]int{{0, 1}}},
		{"a ready and a partial batch", []int{0, 1, 2}, [][]int{{0, 1}, {2}}},
		{"a ready and a full batch", []int{0, 1, 2, 3}, [][]int{{0, 1}, {2, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBatcher[int](2, time.Hour)
			addAll(t, b, tc.add...) // nobody reads yet: all of it is pending
			b.Close()
			b.Close() // idempotent
			if got := drain(t, b); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if err := b.Add(context.Background(), 9); !errors.Is(err, ErrClosed) {
				t.Fatalf("Add after Close: %v, want ErrClosed", err)
			}
		})
	}
}

func TestBatcherBackPressure(t *testing.T) {
	b := NewBatcher[int](2, time.Hour)
	// One batch waiting for the consumer and one filling: 4 items fit.
	addAll(t, b, 0, 1, 2, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Add(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add to a full batcher: %v, want it to block until ctx is done", err)
	}

	// A producer blocked in Add is released by the consumer...
	done := make(chan error, 1)
	go func() { done <- b.Add(context.Background(), 5) }()
	if got := next(t, b); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("first batch %v", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("blocked Add: %v", err)
		}
	case <-time.After(hang):
		t.Fatal("reading a batch did not release the blocked Add")
	}
	// ...and one blocked when Close comes is told so; the item that timed
	// out (4) was never accepted.
	go func() { done <- b.Add(context.Background(), 6) }()
	b.Close()
	if err := <-done; err != nil && !errors.Is(err, ErrClosed) {
		t.Fatalf("Add blocked across Close: %v", err)
	}
	got := slices.Concat(drain(t, b)...)
	if !slices.Equal(got, []int{2, 3, 5}) && !slices.Equal(got, []int{2, 3, 5, 6}) {
		t.Fatalf("after close got %v, want [2 3 5] (and 6 only if its Add succeeded)", got)
	}
}

func TestBatcherConcurrentProducers(t *testing.T) {
	const producers, each, maxItems = 4, 250, 16
	b := NewBatcher[int](maxItems, time.Millisecond)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if err := b.Add(context.Background(), p*each+i); err != nil {
					t.Errorf("producer %d add %d: %v", p, i, err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); b.Close() }()

	var got []int
	for _, batch := range drain(t, b) {
		if len(batch) == 0 || len(batch) > maxItems {
			t.Fatalf("batch of %d items, maxItems %d", len(batch), maxItems)
		}
		got = append(got, batch...)
	}
	if len(got) != producers*each {
		t.Fatalf("%d items out, %d in", len(got), producers*each)
	}
	// Each producer's items come out once and in its order.
	last := make([]int, producers)
	for p := range last {
		last[p] = -1
	}
	for _, v := range got {
		p, i := v/each, v%each
		if i <= last[p] {
			t.Fatalf("producer %d item %d after item %d", p, i, last[p])
		}
		last[p] = i
	}
}
