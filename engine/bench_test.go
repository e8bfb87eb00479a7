package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Bench reports its progress after each measurement, up to the total it
// announced, so a long --sweep shows a bar that ends full.
func TestBenchReportsProgressToTheEnd(t *testing.T) {
	var inputs [][]byte
	for i := range 16 {
		inputs = append(inputs, fmt.Appendf(nil, `{"features": [5.%d, 3.5, 1.4, 0.2]}`, i%10))
	}
	var calls [][2]int
	rep, err := Bench(context.Background(), models[0], BenchOptions{Inputs: inputs, Rounds: 2, Sweep: []int{1, 4}, MinRun: time.Millisecond,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil || len(rep.Sweep) != 2 {
		t.Fatalf("bench: %+v, %v", rep, err)
	}
	want := 2 * (3 + 2*2)
	for i, c := range calls {
		if c[1] != want || (i > 0 && c[0] <= calls[i-1][0]) {
			t.Fatalf("progress calls %v: want rising counts out of %d", calls, want)
		}
	}
	if len(calls) == 0 || calls[len(calls)-1][0] != want {
		t.Errorf("progress calls %v: want the last at %d of %d", calls, want, want)
	}
}
