package batching

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// TestRunEqualsUnbatched runs mixed rows through Run and checks each
// row's outputs against running that row alone.
func TestRunEqualsUnbatched(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mixed := func(n int) []Tensor {
		return makeRows(n, func(i int) Tensor {
			switch i % 3 {
			case 0:
				return randRow(rng, 3, 4, int64(5+rng.IntN(30)))
			case 1:
				return randRow(rng, 4)
			}
			return randRow(rng, int64(1+rng.IntN(5)), int64(1+rng.IntN(5)))
		})
	}
	tests := []struct {
		name string
		rows []Tensor
		lim  Limits
	}{
		{"batch of one", mixed(20), Limits{MaxBatch: 1}},
		{"small batches", mixed(50), Limits{MaxBatch: 4}},
		{"large batches, bucketed", mixed(200), Limits{MaxBatch: 64, PadMultiple: 8}},
		{"byte cap", mixed(100), Limits{MaxBatch: 64, MaxBytes: 4 << 10}},
		{"lots of padding allowed", mixed(100), Limits{MaxBatch: 32, MaxPadWaste: 0.95}},
		{"no rows", nil, Limits{MaxBatch: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, calls, ran := counted(statsRun)
			results := Run(context.Background(), tc.rows, tc.lim, run)
			if len(results) != len(tc.rows) {
				t.Fatalf("%d results for %d rows", len(results), len(tc.rows))
			}
			if ran.Load() != int64(len(tc.rows)) {
				t.Fatalf("ran %d rows for %d inputs: rows ran twice or not at all", ran.Load(), len(tc.rows))
			}
			biggest := 0
			for i, r := range results {
				if r.Err != nil {
					t.Fatalf("row %d: %v", i, r.Err)
				}
				if r.BatchSize < 1 || r.BatchSize > max(tc.lim.MaxBatch, 1) {
					t.Fatalf("row %d: batch size %d", i, r.BatchSize)
				}
				biggest = max(biggest, r.BatchSize)
				if err := sameTensors(r.Outputs, alone(t, statsRun, tc.rows[i]), 1e-5); err != nil {
					t.Fatalf("row %d (shape %v, batch %d): %v", i, tc.rows[i].Shape, r.BatchSize, err)
				}
			}
			if len(tc.rows) > 0 && tc.lim.MaxBatch > 1 && biggest < 2 {
				t.Fatalf("nothing was batched (%d runs)", calls.Load())
			}
		})
	}
}

// TestRunIsolatesPoisonRows puts one or two poison rows at every kind of
// position in packs of 1..64 rows and checks that only they fail, that
// every other row gets its own result, and that bisection stays within
// 1 + 2·k·ceil(log2 n) runs for k poison rows.
func TestRunIsolatesPoisonRows(t *testing.T) {
	type layout struct {
		name   string
		poison func(n int) []int
	}
	layouts := []layout{
		{"first", func(int) []int { return []int{0} }},
		{"last", func(n int) []int { return []int{n - 1} }},
		{"middle", func(n int) []int { return []int{n / 2} }},
		{"first and last", func(n int) []int { return []int{0, n - 1} }},
		{"adjacent", func(n int) []int { return []int{n / 3, n/3 + 1} }},
		{"random two", func(n int) []int {
			r := rand.New(rand.NewPCG(uint64(n), 9))
			return []int{r.IntN(n), r.IntN(n)}
		}},
	}
	for _, lay := range layouts {
		t.Run(lay.name, func(t *testing.T) {
			for n := 1; n <= 64; n++ {
				poisoned := map[int]bool{}
				for _, p := range lay.poison(n) {
					if p >= 0 && p < n {
						poisoned[p] = true
					}
				}
				if len(poisoned) == 0 {
					continue
				}
				rows := makeRows(n, func(i int) Tensor {
					if poisoned[i] {
						return poisonRow(3, 4)
					}
					return seq(float32(i), 3, 4)
				})
				run, calls, _ := counted(poisonedRun)
				results := Run(context.Background(), rows, Limits{MaxBatch: 64}, run)
				for i, r := range results {
					if poisoned[i] {
						if !errors.Is(r.Err, errPoison) || r.Outputs != nil || r.BatchSize != 1 {
							t.Fatalf("n=%d poison row %d: err %v, outputs %v, batch %d", n, i, r.Err, r.Outputs, r.BatchSize)
						}
						continue
					}
					if r.Err != nil {
						t.Fatalf("n=%d healthy row %d failed: %v", n, i, r.Err)
					}
					if err := sameTensors(r.Outputs, alone(t, statsRun, rows[i]), 1e-6); err != nil {
						t.Fatalf("n=%d row %d: %v", n, i, err)
					}
				}
				depth := bits.Len(uint(n - 1)) // ceil(log2 n)
				if bound := 1 + 2*len(poisoned)*depth; calls.Load() > int64(bound) {
					t.Fatalf("n=%d, %d poison rows: %d runs, want at most %d", n, len(poisoned), calls.Load(), bound)
				}
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	errBroken := errors.New("model is broken")
	tests := []struct {
		name     string
		rows     []Tensor
		lim      Limits
		run      RunFunc
		wantErr  []error // per row; nil = must succeed
		maxCalls int64
	}{
		{
			name:     "a run that always fails fails every row after full bisection",
			rows:     []Tensor{seq(0, 2), seq(1, 2), seq(2, 2), seq(3, 2)},
			lim:      Limits{MaxBatch: 4},
			run:      func(context.Context, Tensor) ([]Tensor, error) { return nil, errBroken },
			wantErr:  []error{errBroken, errBroken, errBroken, errBroken},
			maxCalls: 7,
		},
		{
			name: "rows that fail only together both succeed once apart",
			rows: []Tensor{seq(0, 2), seq(10, 2), seq(20, 2), seq(30, 2)},
			lim:  Limits{MaxBatch: 4},
			run: func(ctx context.Context, b Tensor) ([]Tensor, error) {
				if slices.Contains(f32(b), 0) && slices.Contains(f32(b), 30) {
					return nil, errBroken
				}
				return statsRun(ctx, b)
			},
			wantErr:  []error{nil, nil, nil, nil},
			maxCalls: 3,
		},
		{
			name: "outputs that do not split count as a failed run",
			rows: []Tensor{seq(0, 2), seq(1, 2), seq(2, 2)},
			lim:  Limits{MaxBatch: 4},
			run: func(ctx context.Context, b Tensor) ([]Tensor, error) {
				if b.Shape[0] > 1 { // a model that always answers one row
					return []Tensor{{Shape: []int64{1}, Data: []float32{0}}}, nil
				}
				return statsRun(ctx, b)
			},
			wantErr:  []error{nil, nil, nil},
			maxCalls: 5,
		},
		{
			name:     "invalid rows fail without running, valid ones run",
			rows:     []Tensor{seq(0, 2), {Shape: []int64{3}, Data: []float32{1}}, seq(1, 2)},
			lim:      Limits{MaxBatch: 4},
			run:      statsRun,
			wantErr:  []error{nil, errAny, nil},
			maxCalls: 1,
		},
		{
			name:     "poison in one pack leaves other packs alone",
			rows:     []Tensor{seq(0, 2), poisonRow(2), seq(1, 3), seq(2, 3)},
			lim:      Limits{MaxBatch: 4, MaxPadWaste: -1},
			run:      poisonedRun,
			wantErr:  []error{nil, errPoison, nil, nil},
			maxCalls: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, calls, _ := counted(tc.run)
			checkFailures(t, tc.rows, Run(context.Background(), tc.rows, tc.lim, run), tc.wantErr)
			if calls.Load() > tc.maxCalls {
				t.Fatalf("%d runs, want at most %d", calls.Load(), tc.maxCalls)
			}
		})
	}
}

// checkFailures asserts each row's result: want[i] nil, the outputs of
// the row run alone; else an error matching want[i] (any error for errAny).
func checkFailures(t *testing.T, rows []Tensor, results []Result, want []error) {
	t.Helper()
	for i, r := range results {
		switch w := want[i]; {
		case w == nil && r.Err != nil:
			t.Fatalf("row %d failed: %v", i, r.Err)
		case w == nil:
			if err := sameTensors(r.Outputs, alone(t, statsRun, rows[i]), 1e-6); err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
		case r.Err == nil:
			t.Fatalf("row %d succeeded, want error %v", i, w)
		case w != errAny && !errors.Is(r.Err, w):
			t.Fatalf("row %d error %v, want %v", i, r.Err, w)
		}
	}
}

// errAny marks an expected error whose identity does not matter.
var errAny = errors.New("any error")

// stopCase is one TestRunStopsWhenContextIsDone case: run is the RunFunc,
// given the context's cancel and the count of calls so far.
type stopCase struct {
	name      string
	run       func(cancel context.CancelFunc, calls *atomic.Int64) RunFunc
	cancelNow bool
	wantOK    int // rows 0..wantOK-1 succeed, the rest get ctx's error
	wantCalls int64
	wantErr   error
}

// stopCases run 12 rows in packs of 4, row 10 poisoned (see the test).
func stopCases() []stopCase {
	return []stopCase{
		{
			name:      "done before Run: nothing runs",
			cancelNow: true,
			run: func(context.CancelFunc, *atomic.Int64) RunFunc {
				return statsRun
			},
			wantOK: 0, wantCalls: 0, wantErr: context.Canceled,
		},
		{
			name: "cancelled after the first pack: later packs do not run",
			run: func(cancel context.CancelFunc, calls *atomic.Int64) RunFunc {
				return func(ctx context.Context, b Tensor) ([]Tensor, error) {
					cancel()
					return statsRun(ctx, b)
				}
			},
			wantOK: 4, wantCalls: 1, wantErr: context.Canceled,
		},
		{
			name: "a run failing because time ran out is not bisected",
			run: func(cancel context.CancelFunc, calls *atomic.Int64) RunFunc {
				return func(ctx context.Context, b Tensor) ([]Tensor, error) {
					if calls.Load() == 2 {
						cancel()
						return nil, fmt.Errorf("run: %w", ctx.Err())
					}
					return statsRun(ctx, b)
				}
			},
			wantOK: 4, wantCalls: 2, wantErr: context.Canceled,
		},
		{
			name: "cancelled while bisecting a poison pack: the rest get ctx's error",
			run: func(cancel context.CancelFunc, calls *atomic.Int64) RunFunc {
				return func(ctx context.Context, b Tensor) ([]Tensor, error) {
					out, err := poisonedRun(ctx, b)
					if calls.Load() == 4 { // first half of the poison pack
						cancel()
					}
					return out, err
				}
			},
			wantOK: 10, wantCalls: 4, wantErr: context.Canceled,
		},
	}
}

func TestRunStopsWhenContextIsDone(t *testing.T) {
	rows := makeRows(12, func(i int) Tensor { return seq(float32(i), 4) })
	rows[10] = poisonRow(4)
	lim := Limits{MaxBatch: 4} // packs: rows 0-3, 4-7, 8-11 (equal sizes keep index order)

	for _, tc := range stopCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelNow {
				cancel()
			}
			var n atomic.Int64
			inner := tc.run(cancel, &n)
			run := func(ctx context.Context, b Tensor) ([]Tensor, error) {
				n.Add(1)
				return inner(ctx, b)
			}
			checkStopped(t, Run(ctx, rows, lim, run), tc.wantOK, tc.wantErr)
			if n.Load() != tc.wantCalls {
				t.Fatalf("%d runs, want %d", n.Load(), tc.wantCalls)
			}
		})
	}
}

// checkStopped asserts rows 0..ok-1 succeeded and the rest failed with
// want and no outputs.
func checkStopped(t *testing.T, results []Result, ok int, want error) {
	t.Helper()
	for i, r := range results {
		if i < ok {
			if r.Err != nil {
				t.Fatalf("row %d: %v", i, r.Err)
			}
			continue
		}
		if !errors.Is(r.Err, want) || r.Outputs != nil {
			t.Fatalf("row %d: err %v outputs %v, want %v", i, r.Err, r.Outputs, want)
		}
	}
}

// TestRunBisectedHalvesAreReshaped checks that a half is padded only to
// its own rows: rows are sorted by size, so the narrow half of a failed
// pack must not be run at the width of the wide one.
func TestRunBisectedHalvesAreReshaped(t *testing.T) {
	rows := []Tensor{poisonRow(2), seq(1, 3), seq(1, 6), seq(1, 9)}
	var widths []int64
	run := func(ctx context.Context, b Tensor) ([]Tensor, error) {
		widths = append(widths, b.Shape[1])
		return poisonedRun(ctx, b)
	}
	results := Run(context.Background(), rows, Limits{MaxBatch: 4, MaxPadWaste: 1, PadMultiple: 2}, run)
	if want := []int64{10, 4, 2, 4, 10}; !slices.Equal(widths, want) {
		t.Fatalf("run widths %v, want %v", widths, want)
	}
	for i, r := range results[1:] {
		if r.Err != nil {
			t.Fatalf("row %d: %v", i+1, r.Err)
		}
		if err := sameTensors(r.Outputs, alone(t, statsRun, rows[i+1]), 1e-6); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
	}
}
