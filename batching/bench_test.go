package batching

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/batchinfer/batchinfer/tensor"
)

// BenchmarkAssemble packs 32 text-line rows [3,48,W] of varying width,
// the shape of the ppocr-rec input.
func BenchmarkAssemble(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	rows := makeRows(32, func(int) Tensor { return randRow(rng, 3, 48, int64(240+rng.IntN(80))) })
	lim := Limits{MaxBatch: 32, PadMultiple: 32, PadValue: 0}
	packs := planSingle(rows, lim)
	if len(packs) != 1 {
		b.Fatalf("%d packs, want 1", len(packs))
	}
	b.SetBytes(tensor.Elements(packs[0].Shapes[0]) * 4)
	b.ReportAllocs()
	for b.Loop() {
		assembleSingle(rows, packs[0], lim.PadValue)
	}
}

// BenchmarkPlan plans 1000 skewed text-line rows.
func BenchmarkPlan(b *testing.B) {
	rows := skewedWidths(rand.New(rand.NewPCG(2, 2)), 1000)
	lim := Limits{MaxBatch: 32, PadMultiple: 16}
	b.ReportAllocs()
	for b.Loop() {
		planSingle(rows, lim)
	}
}

// BenchmarkRun is the overhead around a trivial model: iris-like rows [4]
// at batch 256.
func BenchmarkRun(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	rows := makeRows(1024, func(int) Tensor { return randRow(rng, 4) })
	lim := Limits{MaxBatch: 256}
	b.ReportAllocs()
	for b.Loop() {
		Run(context.Background(), rows, lim, statsRun)
	}
}

// BenchmarkRunRows is the overhead around a trivial model for text rows:
// input_ids, attention_mask and token_type_ids (int64 [L], L from 8 to
// 128) at batch 32, packed by length with per-input pad values.
func BenchmarkRunRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	rows := make([]Row, 1024)
	for i := range rows {
		l := int64(8 + rng.IntN(121))
		row := make(Row, 3)
		for k := range row {
			row[k] = tensor.New([]int64{l}, make([]int64, l))
		}
		rows[i] = row
	}
	lim := Limits{MaxBatch: 32, PadValues: []float64{1, 0, 0}}
	run := func(_ context.Context, in []Tensor) ([]Tensor, error) {
		n := in[0].Shape[0]
		return []Tensor{tensor.New([]int64{n, 2}, make([]float32, 2*n))}, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		RunRows(context.Background(), rows, lim, run)
	}
}
