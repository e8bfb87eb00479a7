// Package tensor is the one dense tensor type that model codecs, batching
// and the engine pass between them: a shape and a Go slice of one of the
// element types ONNX Runtime takes. It is a leaf: it imports nothing of
// ours, so model and batching share it without converting tensors on every
// run.
package tensor

import (
	"fmt"
)

// DType is a tensor's element type.
type DType uint8

// The element types a Tensor may hold. Float16 is absent on purpose:
// onnxruntime_go v1.27 copies an ORT-allocated float16 output with one byte
// per element (half the data), so a float16 model's outputs cannot be read.
const (
	Invalid DType = iota
	Float32
	Float64
	Int64
	Int32
	Int8
	Uint8
	Bool
)

var dtypeNames = [...]string{Invalid: "invalid", Float32: "float32", Float64: "float64",
	Int64: "int64", Int32: "int32", Int8: "int8", Uint8: "uint8", Bool: "bool"}

// String is the dtype's name as manifests spell it ("float32", "int64", …).
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ParseDType reads a manifest's dtype name.
func ParseDType(s string) (DType, bool) {
	for d, n := range dtypeNames {
		if n == s && DType(d) != Invalid {
			return DType(d), true
		}
	}
	return Invalid, false
}

// Size is the bytes one element takes in ONNX Runtime's buffers.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Int8, Uint8, Bool:
		return 1
	}
	return 0
}

// Elem is the Go element types a Tensor's Data may be a slice of.
type Elem interface {
	float32 | float64 | int64 | int32 | int8 | uint8 | bool
}

// Tensor is a dense tensor in row-major order. Data is a []float32,
// []float64, []int64, []int32, []int8, []uint8 or []bool whose length is the
// product of Shape (1 for a scalar). Row tensors have no batch dimension;
// batch tensors and run outputs have a leading N. Data is exported as any
// so that a composite literal with a []float32 reads as it always did;
// Check refuses any other slice type.
type Tensor struct {
	Shape []int64
	Data  any
}

// New is a tensor of the given shape over data (not copied).
func New[T Elem](shape []int64, data []T) Tensor {
	return Tensor{Shape: shape, Data: data}
}

// DTypeOf names the element type of a Data slice (Invalid for anything
// that is not a slice of an Elem type, nil included).
func DTypeOf(data any) DType {
	switch data.(type) {
	case []float32:
		return Float32
	case []float64:
		return Float64
	case []int64:
		return Int64
	case []int32:
		return Int32
	case []int8:
		return Int8
	case []uint8:
		return Uint8
	case []bool:
		return Bool
	}
	return Invalid
}

// DType is t's element type.
func (t Tensor) DType() DType { return DTypeOf(t.Data) }

// Len is the number of elements in Data (0 for an invalid Data).
func (t Tensor) Len() int { return kindOf(t.DType()).len(t.Data) }

// Bytes is the size of Data in ONNX Runtime's buffers.
func (t Tensor) Bytes() int64 { return int64(t.Len()) * int64(t.DType().Size()) }

// Check reports why t is not a usable tensor, or nil: Data must be a slice
// of an Elem type holding exactly the elements Shape describes.
func (t Tensor) Check() error {
	if t.DType() == Invalid {
		return fmt.Errorf("tensor data is %T, not a slice of float32, float64, int64, int32, int8, uint8 or bool", t.Data)
	}
	n := Elements(t.Shape)
	if n < 0 {
		return fmt.Errorf("shape %v has a negative dimension", t.Shape)
	}
	if n != int64(t.Len()) {
		return fmt.Errorf("shape %v holds %d elements, data has %d", t.Shape, n, t.Len())
	}
	return nil
}

// Elements is the product of dims (1 for a scalar), or -1 if a dim is
// negative.
func Elements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// Float32 is t's data when it is float32, else nil: the codecs' fast path.
func (t Tensor) Float32() []float32 { d, _ := t.Data.([]float32); return d }

// Int64 is t's data when it is int64, else nil.
func (t Tensor) Int64() []int64 { d, _ := t.Data.([]int64); return d }

// Make allocates n zero elements of dtype d (nil for Invalid).
func Make(d DType, n int) any { return kindOf(d).make(n) }

// AsFloat32 is t's data as float32: the slice itself when t is float32,
// else a converted copy (bool as 0 or 1). Postprocessors read scores this
// way whatever dtype the model's output has.
func AsFloat32(t Tensor) []float32 { return kindOf(t.DType()).asFloat32(t.Data) }

type number interface {
	float32 | float64 | int64 | int32 | int8 | uint8
}

func convert[To, From number](src []From) []To {
	out := make([]To, len(src))
	for i, x := range src {
		out[i] = To(x)
	}
	return out
}

// Fill sets every element of data to v, converted to its element type
// (for bool: v != 0). Integer types take v truncated toward zero.
func Fill(data any, v float64) { kindOf(DTypeOf(data)).fill(data, v) }

func fill[T Elem](d []T, v T) {
	var zero T
	if v == zero {
		return // Make already zeroed it
	}
	for i := range d {
		d[i] = v
	}
}

// Named is a tensor with the name of the model input or output it is (an
// Open Inference Protocol request's or response's entries).
type Named struct {
	Name string
	Tensor
}

var oipNames = [...]string{Float32: "FP32", Float64: "FP64", Int64: "INT64", Int32: "INT32",
	Int8: "INT8", Uint8: "UINT8", Bool: "BOOL"}

// OIPName is the dtype's Open Inference Protocol (KServe v2) datatype:
// FP32, FP64, INT64, INT32, INT8, UINT8, BOOL.
func (d DType) OIPName() string {
	if d != Invalid && int(d) < len(oipNames) {
		return oipNames[d]
	}
	return d.String()
}
