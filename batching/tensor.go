package batching

import "fmt"

// Tensor is a dense float32 tensor in row-major order. It has the same
// layout as model.Tensor, so the worker converts between them with a plain
// type conversion. Row tensors have no batch dimension; batch tensors and
// run outputs have a leading N.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// elements is the product of dims (1 for a scalar), or -1 if a dim is
// negative.
func elements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// check reports why t cannot be packed, or nil if it can.
func (t Tensor) check() error {
	n := elements(t.Shape)
	if n < 0 {
		return fmt.Errorf("shape %v has a negative dimension", t.Shape)
	}
	if n != int64(len(t.Data)) {
		return fmt.Errorf("shape %v holds %d elements, data has %d", t.Shape, n, len(t.Data))
	}
	return nil
}

// bytesPerElement is the size of a float32, the only element type packed.
const bytesPerElement = 4
