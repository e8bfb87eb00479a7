package testenv

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallelCallsEachOnceWithinTheLimit(t *testing.T) {
	for _, limit := range []int{0, 1, 3} {
		var running, peak atomic.Int32
		var mu sync.Mutex
		calls := map[int]int{}
		Parallel(10, limit, func(i int) {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			mu.Lock()
			calls[i]++
			mu.Unlock()
		})
		if len(calls) != 10 {
			t.Errorf("limit %d: called %d distinct i, want 10: %v", limit, len(calls), calls)
		}
		for i, c := range calls {
			if c != 1 || i < 0 || i >= 10 {
				t.Errorf("limit %d: f(%d) called %d times", limit, i, c)
			}
		}
		if want := int32(max(limit, 1)); peak.Load() > want {
			t.Errorf("limit %d: %d calls at once, want at most %d", limit, peak.Load(), want)
		}
	}
}
