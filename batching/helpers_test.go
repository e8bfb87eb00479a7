package batching

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/batchinfer/batchinfer/tensor"
)

// makeRows is n rows, row i made by row(i) in order (a seeded rng's draws
// keep their order).
func makeRows(n int, row func(i int) Tensor) []Tensor {
	rows := make([]Tensor, n)
	for i := range rows {
		rows[i] = row(i)
	}
	return rows
}

// seq is a row of the given shape holding base, base+1, base+2, ... so
// every value says where it came from.
func seq(base float32, shape ...int64) Tensor {
	n := tensor.Elements(shape)
	data := make([]float32, n)
	for i := range data {
		data[i] = base + float32(i)
	}
	return Tensor{Shape: shape, Data: data}
}

// randRow is a row of the given shape with values in [1, 2), never zero,
// so padding (zero) is told apart from data.
func randRow(rng *rand.Rand, shape ...int64) Tensor {
	data := make([]float32, tensor.Elements(shape))
	for i := range data {
		data[i] = 1 + rng.Float32()
	}
	return Tensor{Shape: shape, Data: data}
}

// statsRun is a RunFunc whose outputs can be checked by hand and do not
// change with zero padding: per row, output 0 is [sum] as shape [N] and
// output 1 is [sum of squares, count of non-zero values] as [N,2].
func statsRun(_ context.Context, batch Tensor) ([]Tensor, error) {
	n := int(batch.Shape[0])
	if n == 0 {
		return nil, errors.New("empty batch")
	}
	in := f32(batch)
	per := len(in) / n
	sumData, moreData := make([]float32, n), make([]float32, 2*n)
	sums := Tensor{Shape: []int64{int64(n)}, Data: sumData}
	more := Tensor{Shape: []int64{int64(n), 2}, Data: moreData}
	for i := range n {
		var s, sq, nz float64
		for _, v := range in[i*per : (i+1)*per] {
			s += float64(v)
			sq += float64(v) * float64(v)
			if v != 0 {
				nz++
			}
		}
		sumData[i] = float32(s)
		moreData[2*i], moreData[2*i+1] = float32(sq), float32(nz)
	}
	return []Tensor{sums, more}, nil
}

var errPoison = errors.New("poison value in batch")

const poison = float32(-999)

// poisonRow is a row of the given shape that makes poisonedRun fail.
func poisonRow(shape ...int64) Tensor {
	t := seq(1, shape...)
	d := f32(t)
	d[len(d)-1] = poison
	return t
}

// poisonedRun fails any batch that holds the poison value, like a kernel
// tripping over one bad input, and otherwise behaves like statsRun.
func poisonedRun(ctx context.Context, batch Tensor) ([]Tensor, error) {
	if slices.Contains(f32(batch), poison) {
		return nil, fmt.Errorf("run batch %v: %w", batch.Shape, errPoison)
	}
	return statsRun(ctx, batch)
}

// counted wraps run and counts its calls and the rows it was given.
func counted(run RunFunc) (RunFunc, *atomic.Int64, *atomic.Int64) {
	var calls, rows atomic.Int64
	return func(ctx context.Context, batch Tensor) ([]Tensor, error) {
		calls.Add(1)
		rows.Add(batch.Shape[0])
		return run(ctx, batch)
	}, &calls, &rows
}

// alone runs one row as a batch of one, the unbatched reference.
func alone(t *testing.T, run RunFunc, row Tensor) []Tensor {
	t.Helper()
	batch := Tensor{Shape: append([]int64{1}, row.Shape...), Data: row.Data}
	outs, err := run(context.Background(), batch)
	if err != nil {
		t.Fatalf("run row %v alone: %v", row.Shape, err)
	}
	per, err := Split(outs, 1)
	if err != nil {
		t.Fatalf("split row %v alone: %v", row.Shape, err)
	}
	return per[0]
}

// sameTensors reports whether got and want match in shape and, within
// tol relative error, in values.
func sameTensors(got, want []Tensor, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for o := range want {
		if !slices.Equal(got[o].Shape, want[o].Shape) {
			return fmt.Errorf("output %d shape %v, want %v", o, got[o].Shape, want[o].Shape)
		}
		if got[o].DType() != want[o].DType() {
			return fmt.Errorf("output %d is %s, want %s", o, got[o].DType(), want[o].DType())
		}
		gd, wd := tensor.AsFloat32(got[o]), tensor.AsFloat32(want[o])
		if len(gd) != len(wd) {
			return fmt.Errorf("output %d has %d values, want %d", o, len(gd), len(wd))
		}
		for i, w := range wd {
			g := gd[i]
			if math.Abs(float64(g-w)) > tol*math.Max(1, math.Abs(float64(w))) {
				return fmt.Errorf("output %d value %d = %v, want %v", o, i, g, w)
			}
		}
	}
	return nil
}

// at reads t at the given coordinates, or reports false when they lie
// outside t's shape. It is the naive index arithmetic Assemble's block
// copies are checked against.
func at(t Tensor, coord []int64) (float32, bool) {
	off := int64(0)
	for d, c := range coord {
		if c >= t.Shape[d] {
			return 0, false
		}
		off = off*t.Shape[d] + c
	}
	return f32(t)[off], true
}

// forEachCoord calls f with every coordinate of shape in row-major order.
func forEachCoord(shape []int64, f func(coord []int64)) {
	if tensor.Elements(shape) == 0 {
		return
	}
	coord := make([]int64, len(shape))
	for {
		f(coord)
		d := len(shape) - 1
		for ; d >= 0; d-- {
			coord[d]++
			if coord[d] < shape[d] {
				break
			}
			coord[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// packWaste is the fraction of a pack's elements that is padding beyond
// each row's own bucketed shape (see packGroup).
func packWaste(rows []Tensor, p Pack, variable []bool, m int) float64 {
	total := tensor.Elements(p.Shapes[0])
	if total == 0 {
		return 0
	}
	var own int64
	for _, i := range p.Rows {
		own += tensor.Elements(bucket(rows[i].Shape, variable, m))
	}
	return 1 - float64(own)/float64(total)
}

// f32 is a float32 tensor's data; the test fails loudly (a panic) on any
// other dtype.
func f32(t Tensor) []float32 { return t.Data.([]float32) }

// planSingle plans single-input rows: PlanRows with one tensor per row.
func planSingle(rows []Tensor, lim Limits) []Pack {
	return PlanRows(asRows(rows), lim)
}

// assembleSingle writes the single-input rows of p into one batch tensor
// of shape p.Shapes[0], every position a row does not cover holding pad;
// it panics as AssembleRows does.
func assembleSingle(rows []Tensor, p Pack, pad float32) Tensor {
	rs := asRows(rows)
	mustFit(rs, p)
	return assembleInput(rs, p, 0, float64(pad))
}
