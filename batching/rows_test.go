package batching

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/tensor"
)

// padID is the pad value the text-like tests give input_ids: neither 0
// nor a real id, so a run can tell padding it was given from zeros.
const padID = 7

// textRow is a text model's row: ids [L] (values ≥ 100), mask [L] of ones,
// and a fixed float32 side input [2].
func textRow(rng *rand.Rand, l int) Row {
	ids, mask := make([]int64, l), make([]int64, l)
	for i := range ids {
		ids[i], mask[i] = int64(100+rng.IntN(800)), 1
	}
	return Row{
		tensor.New([]int64{int64(l)}, ids),
		tensor.New([]int64{int64(l)}, mask),
		tensor.New([]int64{2}, []float32{rng.Float32(), rng.Float32()}),
	}
}

// maskedRun is a RowsRunFunc for textRow batches: per row, output 0 is
// the float64 sum of ids under the mask plus the side input, output 1 the
// int32 token count, output 2 a bool "any id over 500". It fails a batch
// whose padding is not the pad value asked for (ids padID, mask 0), and a
// batch holding the id 999 (poison).
func maskedRun(_ context.Context, in []Tensor) ([]Tensor, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("%d inputs, want 3", len(in))
	}
	ids, mask, side := in[0].Int64(), in[1].Int64(), tensor.AsFloat32(in[2])
	if ids == nil || mask == nil || !slices.Equal(in[0].Shape, in[1].Shape) {
		return nil, fmt.Errorf("ids %v %s and mask %v %s do not pair", in[0].Shape, in[0].DType(), in[1].Shape, in[1].DType())
	}
	n, l := int(in[0].Shape[0]), int(in[0].Shape[1])
	sums, counts, over := make([]float64, n), make([]int32, n), make([]bool, n)
	for r := range n {
		for j := range l {
			id, m := ids[r*l+j], mask[r*l+j]
			switch {
			case id == 999:
				return nil, errPoison
			case m == 0 && id != padID:
				return nil, fmt.Errorf("padding of ids is %d, want %d", id, padID)
			case m == 1:
				sums[r] += float64(id)
				counts[r]++
				over[r] = over[r] || id > 500
			}
		}
		sums[r] += float64(side[2*r] + side[2*r+1])
	}
	return []Tensor{
		tensor.New([]int64{int64(n)}, sums),
		tensor.New([]int64{int64(n), 1}, counts),
		tensor.New([]int64{int64(n)}, over),
	}, nil
}

func textLimits(maxBatch int) Limits {
	return Limits{MaxBatch: maxBatch, PadValues: []float64{padID, 0, 0}, MaxPadWaste: 1}
}

// aloneRows runs one row as a batch of one, the unbatched reference.
func aloneRows(t *testing.T, run RowsRunFunc, row Row) []Tensor {
	t.Helper()
	batch := make([]Tensor, len(row))
	for k, x := range row {
		batch[k] = Tensor{Shape: append([]int64{1}, x.Shape...), Data: x.Data}
	}
	outs, err := run(context.Background(), batch)
	if err != nil {
		t.Fatalf("run row alone: %v", err)
	}
	per, err := Split(outs, 1)
	if err != nil {
		t.Fatalf("split row alone: %v", err)
	}
	return per[0]
}

func TestRunRowsEqualsUnbatched(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	rows := make([]Row, 120)
	for i := range rows {
		rows[i] = textRow(rng, 1+rng.IntN(40))
	}
	tests := []struct {
		name string
		lim  Limits
	}{
		{"batch of one", textLimits(1)},
		{"batches of 16", textLimits(16)},
		{"bucketed", func() Limits { l := textLimits(32); l.PadMultiple = 8; return l }()},
		{"token budget", func() Limits { l := textLimits(64); l.MaxTokens = 200; return l }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var runs int
			results := RunRows(context.Background(), rows, tc.lim, func(ctx context.Context, in []Tensor) ([]Tensor, error) {
				runs++
				if tc.lim.MaxTokens > 0 && in[0].Shape[0] > 1 && tensor.Elements(in[0].Shape) > tc.lim.MaxTokens {
					return nil, fmt.Errorf("pack %v is over the token budget %d", in[0].Shape, tc.lim.MaxTokens)
				}
				return maskedRun(ctx, in)
			})
			for i, r := range results {
				if r.Err != nil {
					t.Fatalf("row %d: %v", i, r.Err)
				}
				want := aloneRows(t, maskedRun, rows[i])
				if err := sameTensors(r.Outputs, want, 0); err != nil {
					t.Fatalf("row %d (batch %d): %v", i, r.BatchSize, err)
				}
			}
			if tc.lim.MaxBatch > 1 && runs >= len(rows) {
				t.Fatalf("%d runs for %d rows: nothing was batched", runs, len(rows))
			}
		})
	}
}

func TestAssembleRowsPadsEachInputWithItsValue(t *testing.T) {
	rows := []Row{
		{tensor.New([]int64{1}, []int64{5}), tensor.New([]int64{1}, []bool{true}), tensor.New([]int64{1}, []uint8{9})},
		{tensor.New([]int64{3}, []int64{1, 2, 3}), tensor.New([]int64{3}, []bool{true, false, true}), tensor.New([]int64{3}, []uint8{1, 2, 3})},
	}
	p := PlanRows(rows, Limits{MaxBatch: 2, MaxPadWaste: 1})
	if len(p) != 1 {
		t.Fatalf("%d packs, want 1", len(p))
	}
	got := AssembleRows(rows, p[0], Limits{PadValues: []float64{-1, 1}, PadValue: 4})
	want := []Tensor{
		tensor.New([]int64{2, 3}, []int64{5, -1, -1, 1, 2, 3}),
		tensor.New([]int64{2, 3}, []bool{true, true, true, true, false, true}),
		tensor.New([]int64{2, 3}, []uint8{9, 4, 4, 1, 2, 3}),
	}
	if err := sameTensors(got, want, 0); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if fmt.Sprint(got[k].Data) != fmt.Sprint(want[k].Data) {
			t.Fatalf("input %d: %v, want %v", k, got[k].Data, want[k].Data)
		}
	}
}

// TestPlanRowsKeepsSignaturesApart: rows whose inputs differ in count,
// rank or dtype never share a pack.
func TestPlanRowsKeepsSignaturesApart(t *testing.T) {
	i64 := func(n int) Tensor { return tensor.New([]int64{int64(n)}, make([]int64, n)) }
	i32 := func(n int) Tensor { return tensor.New([]int64{int64(n)}, make([]int32, n)) }
	rows := []Row{
		{i64(3), i64(3)},
		{i32(3), i64(3)},
		{i64(3)},
		{i64(4), i64(4)},
		{i64(2), tensor.New([]int64{1, 2}, make([]int64, 2))},
		{i32(5), i64(5)},
	}
	packs := PlanRows(rows, Limits{MaxBatch: 8, MaxPadWaste: 1})
	got := make([][]int, len(packs))
	for i, p := range packs {
		got[i] = slices.Clone(p.Rows)
		slices.Sort(got[i])
	}
	want := [][]int{{0, 3}, {1, 5}, {2}, {4}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("packs %v, want %v", got, want)
	}
}

func TestRunRowsIsolatesBadRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	rows := make([]Row, 24)
	for i := range rows {
		rows[i] = textRow(rng, 5+i%4)
	}
	rows[5][0].Int64()[2] = 999                        // poison: the run fails
	rows[9][1] = tensor.New([]int64{4}, []int64{1, 1}) // mask data does not match its shape
	rows[13] = Row{}                                   // no inputs at all
	results := RunRows(context.Background(), rows, textLimits(8), maskedRun)
	for i, r := range results {
		switch i {
		case 5:
			if !errors.Is(r.Err, errPoison) {
				t.Fatalf("poison row: %v", r.Err)
			}
		case 9:
			if r.Err == nil || !strings.Contains(r.Err.Error(), "input 1") {
				t.Fatalf("malformed row: %v, want an error naming input 1", r.Err)
			}
		case 13:
			if r.Err == nil {
				t.Fatal("a row without inputs ran")
			}
		default:
			if r.Err != nil {
				t.Fatalf("row %d: %v", i, r.Err)
			}
			if err := sameTensors(r.Outputs, aloneRows(t, maskedRun, rows[i]), 0); err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
		}
	}
}

func TestPlanRowsByteCapCountsEveryInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	rows := make([]Row, 30)
	for i := range rows {
		rows[i] = textRow(rng, 10)
	}
	// A row is 10·8 + 10·8 + 2·4 = 168 bytes: 4 rows fit in 700, 5 do not.
	packs := PlanRows(rows, Limits{MaxBatch: 64, MaxBytes: 700})
	for _, p := range packs {
		if len(p.Rows) != 4 && p.Rows[0] != packs[len(packs)-1].Rows[0] {
			t.Fatalf("pack of %d rows, want 4", len(p.Rows))
		}
	}
}
