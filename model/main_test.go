package model

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/tensor"
)

func TestMain(m *testing.M) {
	lib := testenv.ORTLibPath()
	if err := InitRuntime(lib); err != nil {
		fmt.Fprintf(os.Stderr, "model tests: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	loaded.Range(func(_, v any) bool { v.(*Model).Close(); return true })
	os.Exit(code)
}

var (
	loaded   sync.Map // name → *Model, shared by tests: sessions are slow to create
	loadLock sync.Mutex
)

// load returns the model .cache/models/NAME, loaded once per test binary.
func load(t testing.TB, name string) *Model {
	t.Helper()
	loadLock.Lock()
	defer loadLock.Unlock()
	if v, ok := loaded.Load(name); ok {
		return v.(*Model)
	}
	m, err := Load(testenv.ModelDir(t, name), Options{})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	loaded.Store(name, m)
	return m
}

// stack pads rows to a common shape (each dim up to the largest, rounded up
// to multiple) with pad, and stacks them behind a leading batch dim. Rows are
// placed top-left, as batching's packer does; this small copy keeps model's
// tests independent of batching.
func stack(t testing.TB, rows []Tensor, pad float32, multiple int) Tensor {
	t.Helper()
	rank := len(rows[0].Shape)
	dims := make([]int64, rank)
	for _, r := range rows {
		if len(r.Shape) != rank {
			t.Fatalf("stack: rows of rank %d and %d", rank, len(r.Shape))
		}
		for i, d := range r.Shape {
			dims[i] = max(dims[i], d)
		}
	}
	if multiple > 1 {
		for i := range dims {
			if dims[i] != rows[0].Shape[i] || varies(rows, i) {
				dims[i] = (dims[i] + int64(multiple) - 1) / int64(multiple) * int64(multiple)
			}
		}
	}
	size := int64(1)
	for _, d := range dims {
		size *= d
	}
	data := make([]float32, int64(len(rows))*size)
	for i := range data {
		data[i] = pad
	}
	for n, r := range rows {
		copyPadded(data[int64(n)*size:], dims, r.Float32(), r.Shape)
	}
	return Tensor{Shape: append([]int64{int64(len(rows))}, dims...), Data: data}
}

func varies(rows []Tensor, dim int) bool {
	for _, r := range rows {
		if r.Shape[dim] != rows[0].Shape[dim] {
			return true
		}
	}
	return false
}

// copyPadded copies src (shape sshape) into the top-left corner of dst
// (shape dshape) by walking the last dim in contiguous runs.
func copyPadded(dst []float32, dshape []int64, src []float32, sshape []int64) {
	rank := len(sshape)
	last := sshape[rank-1]
	idx := make([]int64, rank-1)
	for off := int64(0); off < int64(len(src)); off += last {
		d := int64(0)
		for i := range rank - 1 {
			d = d*dshape[i] + idx[i]
		}
		d *= dshape[rank-1]
		copy(dst[d:d+last], src[off:off+last])
		for i := rank - 2; i >= 0; i-- {
			idx[i]++
			if idx[i] < sshape[i] {
				break
			}
			idx[i] = 0
		}
	}
}

// row returns row n of each batched output, without the leading dim.
func row(outs []Tensor, n int) []Tensor {
	res := make([]Tensor, len(outs))
	for i, o := range outs {
		res[i] = Tensor{Shape: o.Shape[1:], Data: tensor.SplitRows(o.Data, int(o.Shape[0]))[n]}
	}
	return res
}

// loadDir loads the model folder dir for one test.
func loadDir(t testing.TB, dir string) *Model {
	t.Helper()
	m, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
