package tensor

import "unsafe"

// SplitRows cuts data into n equal, capacity-limited slices (so an append
// to one never spills into the next), each as the Data of a row tensor.
// The slices share data's array.
//
// Putting a slice into an interface copies its three-word header to the
// heap, one allocation per row: for a run of small rows (iris: 256 rows of
// 4 floats, two outputs) that was a sixth of batching's own time. Here the
// headers live in one array and each interface points at its header, as
// the runtime's own conversion would point at a fresh copy: an interface
// holding a slice stores the type and a pointer to the header, which is
// never written again.
func SplitRows(data any, n int) []any { return kindOf(DTypeOf(data)).splitRows(data, n) }

// eface is the runtime's layout of an empty interface value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func splitRows[T Elem](d []T, n int) []any {
	out := make([]any, n)
	if n == 0 {
		return out
	}
	per := len(d) / n
	headers := make([][]T, n)
	var typed any = d
	typ := (*eface)(unsafe.Pointer(&typed)).typ
	for i := range headers {
		headers[i] = d[i*per : (i+1)*per : (i+1)*per]
		e := (*eface)(unsafe.Pointer(&out[i]))
		e.typ, e.data = typ, unsafe.Pointer(&headers[i])
	}
	return out
}
