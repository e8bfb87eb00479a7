package batching

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/batchinfer/batchinfer/tensor"
)

func TestAssembleByHand(t *testing.T) {
	tests := []struct {
		name string
		rows []Tensor
		pack Pack
		pad  float32
		want []float32
	}{
		{
			name: "no padding is a concatenation",
			rows: []Tensor{seq(1, 2), seq(10, 2)},
			pack: Pack{Rows: []int{0, 1}, Shapes: [][]int64{{2, 2}}},
			want: []float32{1, 2, 10, 11},
		},
		{
			name: "pack order, not row order",
			rows: []Tensor{seq(1, 2), seq(10, 2)},
			pack: Pack{Rows: []int{1, 0}, Shapes: [][]int64{{2, 2}}},
			want: []float32{10, 11, 1, 2},
		},
		{
			name: "last dim padded at its end",
			rows: []Tensor{seq(1, 1), seq(10, 3)},
			pack: Pack{Rows: []int{0, 1}, Shapes: [][]int64{{2, 3}}},
			pad:  -1,
			want: []float32{1, -1, -1, 10, 11, 12},
		},
		{
			name: "inner dim padded per outer index",
			rows: []Tensor{seq(1, 2, 2)}, // [[1 2] [3 4]]
			pack: Pack{Rows: []int{0}, Shapes: [][]int64{{1, 2, 3}}},
			want: []float32{1, 2, 0, 3, 4, 0},
		},
		{
			name: "outer dim padded with whole rows of pad",
			rows: []Tensor{seq(1, 1, 2)},
			pack: Pack{Rows: []int{0}, Shapes: [][]int64{{1, 3, 2}}},
			pad:  9,
			want: []float32{1, 2, 9, 9, 9, 9},
		},
		{
			name: "both dims padded",
			rows: []Tensor{seq(1, 2, 2)},
			pack: Pack{Rows: []int{0}, Shapes: [][]int64{{1, 3, 3}}},
			pad:  7,
			want: []float32{1, 2, 7, 3, 4, 7, 7, 7, 7},
		},
		{
			name: "scalars",
			rows: []Tensor{{Data: []float32{5}}, {Data: []float32{6}}},
			pack: Pack{Rows: []int{0, 1}, Shapes: [][]int64{{2}}},
			want: []float32{5, 6},
		},
		{
			name: "an empty row is all padding",
			rows: []Tensor{seq(1, 0), seq(1, 2)},
			pack: Pack{Rows: []int{0, 1}, Shapes: [][]int64{{2, 2}}},
			pad:  3,
			want: []float32{3, 3, 1, 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := assembleSingle(tc.rows, tc.pack, tc.pad)
			if !slices.Equal(got.Shape, tc.pack.Shapes[0]) {
				t.Fatalf("shape %v, want %v", got.Shape, tc.pack.Shapes[0])
			}
			if !slices.Equal(f32(got), tc.want) {
				t.Fatalf("data %v, want %v", got.Data, tc.want)
			}
		})
	}
}

// TestAssembleMatchesCoordinates checks every position of packs Plan makes
// for random rows against naive coordinate arithmetic: a row's value where
// the row has that coordinate, the pad value everywhere else.
func TestAssembleMatchesCoordinates(t *testing.T) {
	tests := []struct {
		name  string
		shape func(rng *rand.Rand) []int64
		lim   Limits
	}{
		{"fixed shape", func(*rand.Rand) []int64 { return []int64{3, 4} }, Limits{MaxBatch: 8}},
		{"ocr widths", func(r *rand.Rand) []int64 { return []int64{3, 4, int64(5 + r.IntN(20))} }, Limits{MaxBatch: 8, PadValue: -1, MaxPadWaste: 0.9}},
		{"bucketed widths", func(r *rand.Rand) []int64 { return []int64{2, int64(1 + r.IntN(30))} }, Limits{MaxBatch: 8, PadValue: 0.5, PadMultiple: 8, MaxPadWaste: 0.9}},
		{"three varying dims", func(r *rand.Rand) []int64 {
			return []int64{int64(1 + r.IntN(3)), int64(1 + r.IntN(4)), int64(1 + r.IntN(5))}
		}, Limits{MaxBatch: 8, PadValue: 2, PadMultiple: 2, MaxPadWaste: 1}},
		{"varying outer dim", func(r *rand.Rand) []int64 { return []int64{int64(1 + r.IntN(6)), 3} }, Limits{MaxBatch: 8, PadValue: -3, MaxPadWaste: 0.9}},
	}
	for ti, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ti), 7))
			rows := makeRows(40, func(int) Tensor { return randRow(rng, tc.shape(rng)...) })
			packs := planSingle(rows, tc.lim)
			checkPlan(t, rows, tc.lim, packs)
			for _, p := range packs {
				batch := assembleSingle(rows, p, tc.lim.PadValue)
				if int64(batch.Len()) != tensor.Elements(p.Shapes[0]) {
					t.Fatalf("pack %v: %d values", p.Shapes[0], batch.Len())
				}
				forEachCoord(p.Shapes[0], func(c []int64) {
					got, _ := at(batch, c)
					want, ok := at(rows[p.Rows[c[0]]], c[1:])
					if !ok {
						want = tc.lim.PadValue
					}
					if got != want {
						t.Fatalf("pack %v at %v = %v, want %v", p.Shapes[0], c, got, want)
					}
				})
			}
		})
	}
}

func TestAssemblePanicsOnMisfit(t *testing.T) {
	rows := []Tensor{seq(0, 2, 3), {Shape: []int64{2}, Data: []float32{1}}}
	tests := []struct {
		name string
		pack Pack
	}{
		{"leading dim is not the row count", Pack{Rows: []int{0}, Shapes: [][]int64{{2, 2, 3}}}},
		{"no shape", Pack{Rows: []int{0}}},
		{"row larger than the pack", Pack{Rows: []int{0}, Shapes: [][]int64{{1, 2, 2}}}},
		{"row of another rank", Pack{Rows: []int{0}, Shapes: [][]int64{{1, 6}}}},
		{"row data does not match its shape", Pack{Rows: []int{1}, Shapes: [][]int64{{1, 2}}}},
		{"negative pack dim", Pack{Rows: []int{0}, Shapes: [][]int64{{1, -2, 3}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Assemble did not panic")
				}
			}()
			assembleSingle(rows, tc.pack, 0)
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name    string
		outputs []Tensor
		n       int
		want    [][]Tensor // nil with wantErr
		wantErr bool
	}{
		{
			name:    "one output of scalars per row",
			outputs: []Tensor{{Shape: []int64{3}, Data: []float32{1, 2, 3}}},
			n:       3,
			want: [][]Tensor{
				{{Shape: []int64{}, Data: []float32{1}}},
				{{Shape: []int64{}, Data: []float32{2}}},
				{{Shape: []int64{}, Data: []float32{3}}},
			},
		},
		{
			name: "several outputs of several ranks",
			outputs: []Tensor{
				{Shape: []int64{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
				{Shape: []int64{2, 1, 2}, Data: []float32{7, 8, 9, 10}},
			},
			n: 2,
			want: [][]Tensor{
				{{Shape: []int64{3}, Data: []float32{1, 2, 3}}, {Shape: []int64{1, 2}, Data: []float32{7, 8}}},
				{{Shape: []int64{3}, Data: []float32{4, 5, 6}}, {Shape: []int64{1, 2}, Data: []float32{9, 10}}},
			},
		},
		{
			name:    "no outputs",
			outputs: nil,
			n:       2,
			want:    [][]Tensor{{}, {}},
		},
		{
			name:    "zero rows",
			outputs: []Tensor{{Shape: []int64{0, 4}, Data: []float32{}}},
			n:       0,
			want:    [][]Tensor{},
		},
		{name: "leading dim too small", outputs: []Tensor{{Shape: []int64{2, 1}, Data: []float32{1, 2}}}, n: 3, wantErr: true},
		{name: "leading dim too large", outputs: []Tensor{{Shape: []int64{4}, Data: []float32{1, 2, 3, 4}}}, n: 3, wantErr: true},
		{
			name: "second output is wrong",
			outputs: []Tensor{
				{Shape: []int64{2}, Data: []float32{1, 2}},
				{Shape: []int64{1, 2}, Data: []float32{1, 2}},
			},
			n: 2, wantErr: true,
		},
		{name: "rank 0 output", outputs: []Tensor{{Data: []float32{1}}}, n: 1, wantErr: true},
		{name: "data does not match shape", outputs: []Tensor{{Shape: []int64{2, 2}, Data: []float32{1, 2, 3}}}, n: 2, wantErr: true},
		{name: "negative row count", outputs: nil, n: -1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Split(tc.outputs, tc.n)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d rows, want %d", len(got), len(tc.want))
			}
			for i := range tc.want {
				if err := sameTensors(got[i], tc.want[i], 0); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
		})
	}
}

func TestSplitRowsDoNotSpillIntoNeighbours(t *testing.T) {
	out := Tensor{Shape: []int64{2, 2}, Data: []float32{1, 2, 3, 4}}
	rows, err := Split([]Tensor{out}, 2)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(f32(rows[0][0]), 99)
	if f32(rows[1][0])[0] != 3 {
		t.Fatalf("appending to row 0 changed row 1 to %v", rows[1][0].Data)
	}
}
