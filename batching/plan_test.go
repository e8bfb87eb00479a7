package batching

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/batchinfer/batchinfer/tensor"
)

// checkPlan asserts what every plan must satisfy: each valid row in
// exactly one pack, leading dim = rows, one rank per pack, the pack shape
// covers every row, MaxBatch and (for multi-row packs) MaxBytes hold.
func checkPlan(t *testing.T, rows []Tensor, lim Limits, packs []Pack) {
	t.Helper()
	seen := make([]int, len(rows))
	for pi, p := range packs {
		if len(p.Rows) == 0 {
			t.Fatalf("pack %d is empty", pi)
		}
		if p.Shapes[0][0] != int64(len(p.Rows)) {
			t.Fatalf("pack %d shape %v leads with %d, has %d rows", pi, p.Shapes[0], p.Shapes[0][0], len(p.Rows))
		}
		if len(p.Rows) > max(lim.MaxBatch, 1) {
			t.Fatalf("pack %d has %d rows, MaxBatch %d", pi, len(p.Rows), lim.MaxBatch)
		}
		if bytes := tensor.Elements(p.Shapes[0]) * 4; lim.MaxBytes > 0 && len(p.Rows) > 1 && bytes > lim.MaxBytes {
			t.Fatalf("pack %d is %d bytes, MaxBytes %d", pi, bytes, lim.MaxBytes)
		}
		for _, i := range p.Rows {
			seen[i]++
			r := rows[i].Shape
			if len(r) != len(p.Shapes[0])-1 {
				t.Fatalf("pack %d shape %v holds row %d of rank %d", pi, p.Shapes[0], i, len(r))
			}
			for d := range r {
				if r[d] > p.Shapes[0][d+1] {
					t.Fatalf("pack %d shape %v is smaller than row %d shape %v", pi, p.Shapes[0], i, r)
				}
			}
		}
	}
	for i, n := range seen {
		want := 1
		if rows[i].Check() != nil {
			want = 0
		}
		if n != want {
			t.Fatalf("row %d (shape %v) is in %d packs, want %d", i, rows[i].Shape, n, want)
		}
	}
}

func shapes(packs []Pack) [][]int64 {
	out := make([][]int64, len(packs))
	for i, p := range packs {
		out[i] = p.Shapes[0]
	}
	return out
}

// planCase is one TestPlan case.
type planCase struct {
	name   string
	rows   []Tensor
	lim    Limits
	shapes [][]int64 // want, in order
	rows0  []int     // want rows of the first pack, if set
}

// planCases are TestPlan's cases: how rows group and pad, then how the
// limits cut packs.
func planCases() []planCase {
	return slices.Concat(groupingCases(), sizeLimitCases(), padLimitCases())
}

// sizeLimitCases cut packs at MaxBatch and MaxBytes.
func sizeLimitCases() []planCase {
	return []planCase{
		{
			name:   "MaxBatch splits",
			rows:   same(7, 4),
			lim:    Limits{MaxBatch: 3},
			shapes: [][]int64{{3, 4}, {3, 4}, {1, 4}},
			rows0:  []int{0, 1, 2},
		},
		{
			name:   "MaxBatch 0 counts as 1",
			rows:   same(2, 4),
			lim:    Limits{},
			shapes: [][]int64{{1, 4}, {1, 4}},
		},
		{
			name:   "MaxBytes splits (3 rows of 16 bytes fit in 50)",
			rows:   same(5, 4),
			lim:    Limits{MaxBatch: 100, MaxBytes: 50},
			shapes: [][]int64{{3, 4}, {2, 4}},
		},
		{
			name:   "MaxBytes counts padding",
			rows:   []Tensor{seq(0, 3), seq(0, 4), seq(0, 4)},
			lim:    Limits{MaxBatch: 100, MaxBytes: 32, MaxPadWaste: 0.9},
			shapes: [][]int64{{2, 4}, {1, 4}},
		},
		{
			name:   "a row above MaxBytes runs alone",
			rows:   []Tensor{seq(0, 100), seq(0, 2), seq(0, 2)},
			lim:    Limits{MaxBatch: 100, MaxBytes: 16, MaxPadWaste: 1},
			shapes: [][]int64{{2, 2}, {1, 100}},
		},
	}
}

// padLimitCases pad to PadMultiple and cut packs at MaxPadWaste.
func padLimitCases() []planCase {
	return []planCase{
		{
			name:   "PadMultiple buckets varying dims only",
			rows:   []Tensor{seq(0, 3, 10), seq(0, 3, 17)},
			lim:    Limits{MaxBatch: 8, PadMultiple: 8},
			shapes: [][]int64{{2, 3, 24}},
		},
		{
			name:   "PadMultiple applies to a lone row of a varying group only",
			rows:   []Tensor{seq(0, 3, 10), seq(0, 3, 100)},
			lim:    Limits{MaxBatch: 8, PadMultiple: 8},
			shapes: [][]int64{{1, 3, 16}, {1, 3, 104}},
		},
		{
			name:   "PadMultiple leaves a group with no varying dim alone",
			rows:   []Tensor{seq(0, 3, 10), seq(0, 3, 10)},
			lim:    Limits{MaxBatch: 8, PadMultiple: 8},
			shapes: [][]int64{{2, 3, 10}},
		},
		{
			name:   "rows within one bucket always share a pack",
			rows:   []Tensor{seq(0, 1), seq(0, 32)},
			lim:    Limits{MaxBatch: 8, PadMultiple: 32},
			shapes: [][]int64{{2, 32}},
		},
		{
			name:   "too much padding starts a new pack",
			rows:   []Tensor{seq(0, 10), seq(0, 10), seq(0, 100)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2, 10}, {1, 100}},
		},
		{
			name:   "waste exactly at the bound is allowed",
			rows:   []Tensor{seq(0, 6), seq(0, 10)}, // 1 - 16/20 = 0.2
			lim:    Limits{MaxBatch: 8, MaxPadWaste: 0.2},
			shapes: [][]int64{{2, 10}},
		},
		{
			name:   "waste just above the bound is not",
			rows:   []Tensor{seq(0, 5), seq(0, 10)}, // 1 - 15/20 = 0.25
			lim:    Limits{MaxBatch: 8, MaxPadWaste: 0.2},
			shapes: [][]int64{{1, 5}, {1, 10}},
		},
		{
			name:   "negative MaxPadWaste forbids padding",
			rows:   []Tensor{seq(0, 9), seq(0, 10), seq(0, 10)},
			lim:    Limits{MaxBatch: 8, MaxPadWaste: -1},
			shapes: [][]int64{{1, 9}, {2, 10}},
		},
	}
}

// same is n equal rows of the given shape.
func same(n int, shape ...int64) []Tensor {
	return makeRows(n, func(int) Tensor { return seq(0, shape...) })
}

// groupingCases group rows by rank and pad their varying dims.
func groupingCases() []planCase {
	bad := Tensor{Shape: []int64{3}, Data: []float32{1}}
	negative := Tensor{Shape: []int64{-1}, Data: nil}
	return []planCase{
		{
			name:   "no rows",
			rows:   nil,
			lim:    Limits{MaxBatch: 4},
			shapes: [][]int64{},
		},
		{
			name:   "equal rows share one pack",
			rows:   []Tensor{seq(0, 4), seq(0, 4), seq(0, 4)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{3, 4}},
			rows0:  []int{0, 1, 2},
		},
		{
			name:   "ranks never mix, groups in order of first row",
			rows:   []Tensor{seq(0, 2, 2), seq(0, 4), seq(0, 2, 2), seq(0, 4), seq(0, 1, 1, 1)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2, 2, 2}, {2, 4}, {1, 1, 1, 1}},
			rows0:  []int{0, 2},
		},
		{
			name:   "varying width is padded, fixed dims kept",
			rows:   []Tensor{seq(0, 3, 2, 10), seq(0, 3, 2, 9), seq(0, 3, 2, 11)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{3, 3, 2, 11}},
			rows0:  []int{1, 0, 2},
		},
		{
			name:   "two varying dims are each padded to their max",
			rows:   []Tensor{seq(0, 4, 10), seq(0, 5, 9)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2, 5, 10}},
		},
		{
			name:   "scalars pack together",
			rows:   []Tensor{{Shape: []int64{}, Data: []float32{1}}, {Shape: nil, Data: []float32{2}}},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2}},
		},
		{
			name:   "empty rows pack without dividing by zero",
			rows:   []Tensor{seq(0, 0), seq(0, 0)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2, 0}},
		},
		{
			name:   "rows whose data does not match their shape are left out",
			rows:   []Tensor{seq(0, 3), bad, negative, seq(0, 3)},
			lim:    Limits{MaxBatch: 8},
			shapes: [][]int64{{2, 3}},
			rows0:  []int{0, 3},
		},
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range planCases() {
		t.Run(tc.name, func(t *testing.T) {
			packs := planSingle(tc.rows, tc.lim)
			checkPlan(t, tc.rows, tc.lim, packs)
			if got := shapes(packs); !slices.EqualFunc(got, tc.shapes, slices.Equal) {
				t.Fatalf("pack shapes %v, want %v", got, tc.shapes)
			}
			if tc.rows0 != nil && !slices.Equal(packs[0].Rows, tc.rows0) {
				t.Fatalf("first pack rows %v, want %v", packs[0].Rows, tc.rows0)
			}
		})
	}
}

// skewedWidths is text lines as they come: most short, a long tail.
func skewedWidths(rng *rand.Rand, n int) []Tensor {
	return makeRows(n, func(int) Tensor {
		w := int64(20 + rng.IntN(60))
		if rng.IntN(10) == 0 {
			w = int64(200 + rng.IntN(1800))
		}
		return randRow(rng, 3, 48, w)
	})
}

func TestPlanBoundsPaddingWaste(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := skewedWidths(rng, 500)
	variable := []bool{false, false, true}
	tests := []struct {
		name string
		lim  Limits
		want float64 // bound on every pack's waste
	}{
		{"default bound", Limits{MaxBatch: 32}, DefaultMaxPadWaste},
		{"tight bound", Limits{MaxBatch: 32, MaxPadWaste: 0.05}, 0.05},
		{"loose bound", Limits{MaxBatch: 64, MaxPadWaste: 0.5}, 0.5},
		{"bucketed widths", Limits{MaxBatch: 32, PadMultiple: 32}, DefaultMaxPadWaste},
		{"byte cap too", Limits{MaxBatch: 64, MaxBytes: 1 << 20}, DefaultMaxPadWaste},
	}
	// All 500 rows padded to the widest would waste most of the tensor:
	// that is the failure the bound prevents.
	all := Pack{Rows: make([]int, len(rows)), Shapes: [][]int64{{int64(len(rows)), 3, 48, 0}}}
	for i := range rows {
		all.Rows[i] = i
		all.Shapes[0][3] = max(all.Shapes[0][3], rows[i].Shape[2])
	}
	if w := packWaste(rows, all, variable, 1); w < 0.8 {
		t.Fatalf("test data is not skewed: one pack would waste only %.2f", w)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			packs := planSingle(rows, tc.lim)
			checkPlan(t, rows, tc.lim, packs)
			var padded, data int64
			for _, p := range packs {
				if w := packWaste(rows, p, variable, tc.lim.PadMultiple); w > tc.want+1e-12 {
					t.Fatalf("pack %v wastes %.3f > %.3f", p.Shapes[0], w, tc.want)
				}
				padded += tensor.Elements(p.Shapes[0])
				for _, i := range p.Rows {
					data += int64(rows[i].Len())
				}
			}
			// Bounded waste must not come from running everything alone:
			// stay near the fewest packs MaxBatch and MaxBytes allow.
			least := (len(rows) + tc.lim.MaxBatch - 1) / tc.lim.MaxBatch
			if tc.lim.MaxBytes > 0 {
				least = max(least, int((data*4+tc.lim.MaxBytes-1)/tc.lim.MaxBytes))
			}
			if len(packs) > 3*least+20 {
				t.Fatalf("%d packs for %d rows (at least %d): packing too fragmented", len(packs), len(rows), least)
			}
			t.Logf("%d packs, overall padding %.1f%%", len(packs), 100*(1-float64(data)/float64(padded)))
		})
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := skewedWidths(rng, 200)
	lim := Limits{MaxBatch: 16, PadMultiple: 8}
	first := planSingle(rows, lim)
	for range 5 {
		again := planSingle(rows, lim)
		if !slices.EqualFunc(first, again, func(a, b Pack) bool {
			return slices.Equal(a.Rows, b.Rows) && slices.EqualFunc(a.Shapes, b.Shapes, slices.Equal)
		}) {
			t.Fatal("Plan gave different packs for the same rows")
		}
	}
}
