package tensor

// kind holds every operation on a Data slice whose code depends on the
// element type. Each is written once, generically, in elems, and looked up
// by dtype in kinds: the seven element types are spelled out there and in
// DTypeOf, instead of in a type switch per operation.
type kind interface {
	make(n int) any
	len(data any) int
	fill(data any, v float64)
	asFloat32(data any) []float32
	splitRows(data any, n int) []any
	place(dst any, at int, dstShape []int64, src Tensor)
}

var kinds = [...]kind{Invalid: invalid{}, Float32: numbers[float32]{}, Float64: numbers[float64]{},
	Int64: numbers[int64]{}, Int32: numbers[int32]{}, Int8: numbers[int8]{}, Uint8: numbers[uint8]{},
	Bool: bools{}}

// kindOf is d's operations; an unknown dtype gets Invalid's, which make
// nothing and read every slice as empty.
func kindOf(d DType) kind {
	if int(d) < len(kinds) {
		return kinds[d]
	}
	return invalid{}
}

// elems is the part of a kind that only moves elements, the same for bool
// as for numbers. Its methods take data of its own type (callers look the
// kind up by data's dtype).
type elems[T Elem] struct{}

func (elems[T]) make(n int) any                  { return make([]T, n) }
func (elems[T]) len(data any) int                { return len(data.([]T)) }
func (elems[T]) splitRows(data any, n int) []any { return splitRows(data.([]T), n) }

func (elems[T]) place(dst any, at int, dstShape []int64, src Tensor) {
	d := dst.([]T)
	placeRow(d[at:at+int(Elements(dstShape))], dstShape, src.Shape, src.Data.([]T))
}

// numbers converts by Go's numeric conversion.
type numbers[T number] struct{ elems[T] }

func (numbers[T]) fill(data any, v float64) { fill(data.([]T), T(v)) }

func (numbers[T]) asFloat32(data any) []float32 {
	if f, ok := data.([]float32); ok {
		return f
	}
	return convert[float32](data.([]T))
}

// bools reads as 0 or 1 and takes any non-zero value as true.
type bools struct{ elems[bool] }

func (bools) fill(data any, v float64) { fill(data.([]bool), v != 0) }

func (bools) asFloat32(data any) []float32 {
	d := data.([]bool)
	out := make([]float32, len(d))
	for i, b := range d {
		if b {
			out[i] = 1
		}
	}
	return out
}

// invalid is the kind of anything that is not a slice of an Elem type.
type invalid struct{}

func (invalid) make(int) any                    { return nil }
func (invalid) len(any) int                     { return 0 }
func (invalid) fill(any, float64)               {}
func (invalid) asFloat32(any) []float32         { return nil }
func (invalid) splitRows(any, int) []any        { return nil }
func (invalid) place(any, int, []int64, Tensor) {}
