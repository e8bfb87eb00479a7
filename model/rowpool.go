package model

import "sync"

// A first stage's row is megabytes (a 640×640 letterbox 4.9 MB, a page's
// text detection row up to 11 MB) and is read once, when the run's batch
// is packed from it. Fresh from the heap, every such row costs its zeroing
// and its page faults: a fifth of a detector's letterbox. So a flow hands
// its rows back when it takes the run's outputs (the run has read them
// by then) and the next image's row reuses one.
var rowPool sync.Pool // of *[]float32

// newRow is a row of n floats, not zeroed: the caller writes every one.
func newRow(n int) []float32 {
	if p, ok := rowPool.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

// recycleRow gives a row from newRow back, once nothing reads it.
func recycleRow(t Tensor) {
	if d, ok := t.Data.([]float32); ok && cap(d) > 0 {
		rowPool.Put(&d)
	}
}
