package batching

import (
	"errors"
	"fmt"
	"slices"

	"github.com/batchinfer/batchinfer/tensor"
)

var errNoInputs = errors.New("row has no input tensors")

// inputError names which input of a several-input row is malformed.
type inputError struct {
	k   int
	err error
}

func (e *inputError) Error() string { return fmt.Sprintf("input %d: %v", e.k, e.err) }
func (e *inputError) Unwrap() error { return e.err }

// AssembleRows writes the rows of p into one batch tensor per input, of
// shapes p.Shapes, each padded with lim's pad value for that input. Each
// row's values keep their coordinates; every position a row does not
// cover (the end of each padded dim) holds the pad value.
//
// AssembleRows panics if p does not fit the rows (a leading dim other than
// len(p.Rows), a row of another rank, dtype or input count, or larger than
// p's shape, data that does not match a row's shape): packs come from
// PlanRows, so a misfit is a programming error, not bad input.
func AssembleRows(rows []Row, p Pack, lim Limits) []Tensor {
	mustFit(rows, p)
	return assembleRows(rows, p, lim)
}

// mustFit panics unless every row of p is well formed.
func mustFit(rows []Row, p Pack) {
	for _, i := range p.Rows {
		if err := checkRow(rows[i]); err != nil {
			panic(fmt.Sprintf("batching: row %d: %v", i, err))
		}
	}
}

// assembleRows is AssembleRows for rows already checked.
func assembleRows(rows []Row, p Pack, lim Limits) []Tensor {
	out := make([]Tensor, len(p.Shapes))
	for k := range p.Shapes {
		out[k] = assembleInput(rows, p, k, lim.padValue(k))
	}
	return out
}

func assembleInput(rows []Row, p Pack, k int, pad float64) Tensor {
	if k >= len(p.Shapes) {
		panic(fmt.Sprintf("batching: pack has %d input shapes, not %d", len(p.Shapes), k+1))
	}
	shape := p.Shapes[k]
	if len(shape) == 0 || shape[0] != int64(len(p.Rows)) {
		panic(fmt.Sprintf("batching: pack shape %v does not lead with its %d rows", shape, len(p.Rows)))
	}
	rowShape := shape[1:]
	per := tensor.Elements(rowShape)
	if per < 0 {
		panic(fmt.Sprintf("batching: pack shape %v has a negative dimension", shape))
	}
	if len(p.Rows) == 0 {
		return Tensor{Shape: slices.Clone(shape), Data: []float32{}}
	}
	first := rows[p.Rows[0]]
	if k >= len(first) {
		panic(fmt.Sprintf("batching: row %d has %d inputs, the pack %d", p.Rows[0], len(first), len(p.Shapes)))
	}
	dt := first[k].DType()
	data := tensor.Make(dt, int(per)*len(p.Rows))
	if data == nil {
		panic("batching: row " + first[k].Check().Error())
	}
	tensor.Fill(data, pad)
	for j, i := range p.Rows {
		if k >= len(rows[i]) || rows[i][k].DType() != dt {
			panic(fmt.Sprintf("batching: row %d input %d does not match the pack's %s", i, k, dt))
		}
		place(data, j*int(per), (j+1)*int(per), rowShape, rows[i][k])
	}
	return Tensor{Shape: slices.Clone(shape), Data: data}
}

// place copies src (a checked tensor) into data[lo:hi], a zero- or
// pad-filled region of shape dstShape of the same element type.
func place(data any, lo, hi int, dstShape []int64, src Tensor) {
	switch d := data.(type) {
	case []float32:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]float32))
	case []float64:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]float64))
	case []int64:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]int64))
	case []int32:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]int32))
	case []int8:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]int8))
	case []uint8:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]uint8))
	case []bool:
		placeRow(d[lo:hi], dstShape, src.Shape, src.Data.([]bool))
	}
}

// placeRow copies src (of shape srcShape) into dst (of shape dstShape) at
// the origin. It copies in the largest contiguous blocks the two layouts
// share: everything from the innermost dim that differs inward is
// contiguous in both, so a [3,48,W] row padded to [3,48,Wmax] is 144
// copies of W values.
func placeRow[T tensor.Elem](dst []T, dstShape, srcShape []int64, src []T) {
	if len(srcShape) != len(dstShape) {
		panic(fmt.Sprintf("batching: row shape %v does not match pack row shape %v", srcShape, dstShape))
	}
	last := -1 // innermost dim where the shapes differ
	for d := range dstShape {
		if srcShape[d] > dstShape[d] {
			panic(fmt.Sprintf("batching: row shape %v exceeds pack row shape %v", srcShape, dstShape))
		}
		if srcShape[d] != dstShape[d] {
			last = d
		}
	}
	if last < 0 {
		copy(dst, src)
		return
	}
	block := int(tensor.Elements(srcShape[last:]))
	// dstStride[d] is the distance in dst between consecutive indexes of dim d.
	dstStride := make([]int, last)
	stride := int(tensor.Elements(dstShape[last:]))
	for d := last - 1; d >= 0; d-- {
		dstStride[d] = stride
		stride *= int(dstShape[d])
	}
	blocks := int(tensor.Elements(srcShape[:last]))
	idx := make([]int, last) // odometer over the outer dims of src
	dstOff := 0
	for b := range blocks {
		copy(dst[dstOff:dstOff+block], src[b*block:(b+1)*block])
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			dstOff += dstStride[d]
			if idx[d] < int(srcShape[d]) {
				break
			}
			dstOff -= idx[d] * dstStride[d]
			idx[d] = 0
		}
	}
}

// Split cuts each batch output (leading dim n) into n row outputs:
// result[i][o] is row i's slice of output o, its leading dim removed, of
// the output's dtype. Row tensors share the outputs' backing arrays
// (capacity-limited, so an append never spills into a neighbour). It fails
// if an output's leading dim is not n or its data does not match its
// shape.
func Split(outputs []Tensor, n int) ([][]Tensor, error) {
	if n < 0 {
		return nil, fmt.Errorf("split outputs into %d rows: negative row count", n)
	}
	perRow := make([][]Tensor, n)
	backing := make([]Tensor, n*len(outputs))
	for i := range perRow {
		perRow[i] = backing[i*len(outputs) : (i+1)*len(outputs) : (i+1)*len(outputs)]
	}
	for o, out := range outputs {
		if len(out.Shape) == 0 || out.Shape[0] != int64(n) {
			return nil, fmt.Errorf("split output %d of shape %v into %d rows: leading dim is not %d", o, out.Shape, n, n)
		}
		if err := out.Check(); err != nil {
			return nil, fmt.Errorf("split output %d: %w", o, err)
		}
		if n == 0 {
			continue
		}
		rowShape := slices.Clone(out.Shape[1:])
		for i, data := range tensor.SplitRows(out.Data, n) {
			perRow[i][o] = Tensor{Shape: rowShape, Data: data}
		}
	}
	return perRow, nil
}
