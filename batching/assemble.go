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
		tensor.Place(data, j*int(per), rowShape, rows[i][k])
	}
	return Tensor{Shape: slices.Clone(shape), Data: data}
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
