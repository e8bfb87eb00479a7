package batching

import (
	"fmt"
	"slices"
)

// Assemble writes the rows of p into one contiguous row-major batch tensor
// of shape p.Shape. Each row's values keep their coordinates; every
// position a row does not cover (the end of each padded dim) holds pad.
//
// Assemble panics if p does not fit the rows (a leading dim other than
// len(p.Rows), a row of another rank or larger than p.Shape, data that
// does not match a row's shape): packs come from Plan, so a misfit is a
// programming error, not bad input.
func Assemble(rows []Tensor, p Pack, pad float32) Tensor {
	if len(p.Shape) == 0 || p.Shape[0] != int64(len(p.Rows)) {
		panic(fmt.Sprintf("batching: pack shape %v does not lead with its %d rows", p.Shape, len(p.Rows)))
	}
	rowShape := p.Shape[1:]
	per := elements(rowShape)
	if per < 0 {
		panic(fmt.Sprintf("batching: pack shape %v has a negative dimension", p.Shape))
	}
	data := make([]float32, per*int64(len(p.Rows)))
	if pad != 0 {
		for i := range data {
			data[i] = pad
		}
	}
	for k, i := range p.Rows {
		placeRow(data[int64(k)*per:int64(k+1)*per], rowShape, rows[i])
	}
	return Tensor{Shape: slices.Clone(p.Shape), Data: data}
}

// placeRow copies src into dst (a zero- or pad-filled region of shape
// dstShape) at the origin. It copies in the largest contiguous blocks the
// two layouts share: everything from the innermost dim that differs
// inward is contiguous in both, so a [3,48,W] row padded to [3,48,Wmax]
// is 144 copies of W values.
func placeRow(dst []float32, dstShape []int64, src Tensor) {
	if err := src.check(); err != nil {
		panic("batching: row " + err.Error())
	}
	if len(src.Shape) != len(dstShape) {
		panic(fmt.Sprintf("batching: row shape %v does not match pack row shape %v", src.Shape, dstShape))
	}
	last := -1 // innermost dim where the shapes differ
	for d := range dstShape {
		if src.Shape[d] > dstShape[d] {
			panic(fmt.Sprintf("batching: row shape %v exceeds pack row shape %v", src.Shape, dstShape))
		}
		if src.Shape[d] != dstShape[d] {
			last = d
		}
	}
	if last < 0 {
		copy(dst, src.Data)
		return
	}
	block := int(elements(src.Shape[last:]))
	// dstStride[d] is the distance in dst between consecutive indexes of dim d.
	dstStride := make([]int, last)
	stride := int(elements(dstShape[last:]))
	for d := last - 1; d >= 0; d-- {
		dstStride[d] = stride
		stride *= int(dstShape[d])
	}
	blocks := int(elements(src.Shape[:last]))
	idx := make([]int, last) // odometer over the outer dims of src
	dstOff := 0
	for b := range blocks {
		copy(dst[dstOff:dstOff+block], src.Data[b*block:(b+1)*block])
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			dstOff += dstStride[d]
			if idx[d] < int(src.Shape[d]) {
				break
			}
			dstOff -= idx[d] * dstStride[d]
			idx[d] = 0
		}
	}
}

// Split cuts each batch output (leading dim n) into n row outputs:
// result[i][o] is row i's slice of output o, its leading dim removed.
// Row tensors share the outputs' backing arrays (capacity-limited, so an
// append never spills into a neighbour). It fails if an output's leading
// dim is not n or its data does not match its shape.
func Split(outputs []Tensor, n int) ([][]Tensor, error) {
	if n < 0 {
		return nil, fmt.Errorf("split outputs into %d rows: negative row count", n)
	}
	perRow := make([][]Tensor, n)
	for i := range perRow {
		perRow[i] = make([]Tensor, len(outputs))
	}
	for o, out := range outputs {
		if len(out.Shape) == 0 || out.Shape[0] != int64(n) {
			return nil, fmt.Errorf("split output %d of shape %v into %d rows: leading dim is not %d", o, out.Shape, n, n)
		}
		if err := out.check(); err != nil {
			return nil, fmt.Errorf("split output %d: %w", o, err)
		}
		if n == 0 {
			continue
		}
		rowShape := slices.Clone(out.Shape[1:])
		size := len(out.Data) / n
		for i := range n {
			lo, hi := i*size, (i+1)*size
			perRow[i][o] = Tensor{Shape: rowShape, Data: out.Data[lo:hi:hi]}
		}
	}
	return perRow, nil
}
