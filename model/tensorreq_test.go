package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/tensor"
)

// typesRequest is a request for tiny_types.onnx with n rows and b of
// length l; seed varies the values.
func typesRequest(n, l int, seed int) []tensor.Named {
	f := make([]float32, 3*n)
	k := make([]int32, 3*n)
	m := make([]bool, 3*n)
	b := make([]uint8, l*n)
	e := make([]int8, 2*n)
	d := make([]float64, n)
	lg := make([]int64, 2*n)
	for i := range f {
		f[i] = float32((i+seed)%7) - 3.5
		k[i] = int32(i*seed - 4)
		m[i] = (i+seed)%3 != 0
	}
	for i := range b {
		b[i] = uint8(200 + i + seed)
	}
	for i := range e {
		e[i] = int8(i*seed - 60)
		lg[i] = int64(i) << 40
	}
	for i := range d {
		d[i] = 1.5 * float64(i+seed)
	}
	N := int64(n)
	return []tensor.Named{
		{Name: "l", Tensor: tensor.New([]int64{N, 2}, lg)},
		{Name: "x", Tensor: tensor.New([]int64{N, 3}, f)},
		{Name: "k", Tensor: tensor.New([]int64{N, 3}, k)},
		{Name: "m", Tensor: tensor.New([]int64{N, 3}, m)},
		{Name: "b", Tensor: tensor.New([]int64{N, int64(l)}, b)},
		{Name: "e", Tensor: tensor.New([]int64{N, 2}, e)},
		{Name: "d", Tensor: tensor.New([]int64{N, 1}, d)},
	}
}

// ortReference runs a request through ONNX Runtime directly, with a
// session of its own: the expected response, in protocol JSON.
func ortReference(t *testing.T, path string, inputs, outputs []string, req []tensor.Named) string {
	t.Helper()
	s, err := ort.NewDynamicAdvancedSession(path, inputs, outputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	byName := map[string]tensor.Tensor{}
	for _, r := range req {
		byName[r.Name] = r.Tensor
	}
	ins := make([]ort.Value, len(inputs))
	for i, name := range inputs {
		if ins[i], err = ortValue(byName[name]); err != nil {
			t.Fatal(err)
		}
		defer ins[i].Destroy()
	}
	outs := make([]ort.Value, len(outputs))
	if err := s.Run(ins, outs); err != nil {
		t.Fatal(err)
	}
	var res []any
	for i, v := range outs {
		defer v.Destroy()
		o, err := denseOutput(v, TensorSpec{})
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, map[string]any{"name": outputs[i], "shape": o.Shape, "datatype": o.DType().OIPName(), "data": jsonData(o.Data)})
	}
	return mustJSON(t, map[string]any{"outputs": res})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runRequests runs several requests for one model through batching as the
// engine does (no padding between requests) and returns each response.
func runRequests(t *testing.T, m *Model, reqs [][]tensor.Named) ([]string, []int) {
	t.Helper()
	var rows []batching.Row
	var owner []int
	var all []Row
	for r, req := range reqs {
		rs, err := m.PreprocessInput(Input{Tensors: req})
		if err != nil {
			t.Fatalf("request %d: %v", r, err)
		}
		for _, row := range rs {
			rows, owner, all = append(rows, row.Inputs), append(owner, r), append(all, row)
		}
	}
	lim := batching.Limits{MaxBatch: m.MaxBatch(), PadValues: m.PadValues(), MaxPadWaste: -1}
	var runs []int
	results := batching.RunRows(context.Background(), rows, lim, func(ctx context.Context, in []Tensor) ([]Tensor, error) {
		runs = append(runs, int(in[0].Shape[0]))
		return m.RunInputs(ctx, in)
	})
	out := make([]string, len(reqs))
	for r := range reqs {
		var rr []Row
		var outs [][]Tensor
		for i, o := range owner {
			if o == r {
				if results[i].Err != nil {
					t.Fatalf("request %d: %v", r, results[i].Err)
				}
				rr, outs = append(rr, all[i]), append(outs, results[i].Outputs)
			}
		}
		res, err := m.PostprocessRows(rr, outs)
		if err != nil {
			t.Fatal(err)
		}
		out[r] = mustJSON(t, res)
	}
	return out, runs
}

var typesNames = struct{ in, out []string }{
	[]string{"x", "k", "m", "b", "e", "d", "l"},
	[]string{"y", "z", "w", "u", "e2", "d2", "l2"},
}

// TestTensorModelMatchesRuntime: a bare .onnx is a tensor model; requests
// of every dtype, stacked into shared runs when their dims agree, answer
// what ONNX Runtime answers for each request alone.
func TestTensorModelMatchesRuntime(t *testing.T) {
	dir := folder(t, "types", map[string]string{"model.onnx": "@testdata/tiny_types.onnx"})
	m := loadDir(t, dir)
	want(t, "kind", m.Spec().Kind, KindONNX)
	want(t, "task", m.Manifest().Task, TaskTensor)
	reqs := [][]tensor.Named{typesRequest(3, 4, 1), typesRequest(1, 4, 2), typesRequest(2, 6, 3), typesRequest(2, 4, 5)}
	got, runs := runRequests(t, m, reqs)
	for r, req := range reqs {
		ref := ortReference(t, filepath.Join(dir, "model.onnx"), typesNames.in, typesNames.out, req)
		if got[r] != ref {
			t.Fatalf("request %d:\n got %s\nwant %s", r, got[r], ref)
		}
	}
	// Rows with b of length 4 share a run (6 rows), the length-6 rows run apart.
	if fmt.Sprint(runs) != "[6 2]" && fmt.Sprint(runs) != "[2 6]" {
		t.Fatalf("runs of %v rows, want one of 6 and one of 2", runs)
	}
	if !strings.Contains(got[0], `{"data":[201,202,203,204,205,`) {
		t.Fatalf("uint8 output is not a list of numbers: %s", got[0])
	}
}

func TestTensorRequestRefused(t *testing.T) {
	dir := folder(t, "types", map[string]string{"model.onnx": "@testdata/tiny_types.onnx"})
	m := loadDir(t, dir)
	edit := func(f func(req []tensor.Named) []tensor.Named) []tensor.Named { return f(typesRequest(2, 3, 1)) }
	tests := []struct {
		name string
		req  []tensor.Named
		want string
	}{
		{"missing input", edit(func(r []tensor.Named) []tensor.Named { return r[1:] }), `input "l" is missing: the model takes "x" FP32 [N,3], "k" INT32 [N,3]`},
		{"unknown input", edit(func(r []tensor.Named) []tensor.Named {
			return append(r, tensor.Named{Name: "q", Tensor: tensor.New([]int64{2}, []float32{1, 2})})
		}), `the model has no input "q"`},
		{"twice", edit(func(r []tensor.Named) []tensor.Named { return append(r, r[0]) }), `input "l" is given twice`},
		{"dtype", edit(func(r []tensor.Named) []tensor.Named {
			r[1].Tensor = tensor.New([]int64{2, 3}, make([]float64, 6))
			return r
		}), `input "x" is FP64; the model takes FP32`},
		{"rank", edit(func(r []tensor.Named) []tensor.Named {
			r[1].Tensor = tensor.New([]int64{6}, make([]float32, 6))
			return r
		}), `input "x" has shape [6]; the model takes FP32 [N,3] (batch dim first)`},
		{"fixed dim", edit(func(r []tensor.Named) []tensor.Named {
			r[1].Tensor = tensor.New([]int64{2, 4}, make([]float32, 8))
			return r
		}), `(dim 1 must be 3)`},
		{"data count", edit(func(r []tensor.Named) []tensor.Named {
			r[1].Tensor = tensor.New([]int64{2, 3}, make([]float32, 5))
			return r
		}), `input "x": shape [2 3] holds 6 elements, data has 5`},
		{"batch sizes differ", edit(func(r []tensor.Named) []tensor.Named {
			r[1].Tensor = tensor.New([]int64{1, 3}, make([]float32, 3))
			return r
		}), `all inputs need one batch size`},
		{"empty batch", edit(func(r []tensor.Named) []tensor.Named {
			for i := range r {
				r[i].Shape = append([]int64{0}, r[i].Shape[1:]...)
				r[i].Data = tensor.Make(r[i].DType(), 0)
			}
			return r
		}), `has a batch of 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.PreprocessInput(Input{Tensors: tc.req})
			assertInputError(t, err, codeInvalidTensor, tc.want)
		})
	}
	t.Run("bytes to a tensor model", func(t *testing.T) {
		_, err := m.PreprocessInput(Input{Data: []byte(`{"features": [1, 2, 3]}`)})
		assertInputError(t, err, codeInvalidTensor, "is a tensor model")
	})
}

func assertInputError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Code != code || !strings.Contains(ie.Message, msg) {
		t.Fatalf("error %v, want %s containing %q", err, code, msg)
	}
}

// TestManifestModelsTakeTensors: a model with codecs answers a tensor
// request with its raw outputs, equal to what its codec path's run gives;
// a pipeline refuses tensors.
func TestManifestModelsTakeTensors(t *testing.T) {
	iris := load(t, "iris-rf")
	x := []float32{5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3}
	got, _ := runRequests(t, iris, [][]tensor.Named{{{Name: "X", Tensor: tensor.New([]int64{2, 4}, x)}}})
	outs, err := iris.Run(context.Background(), tensor.New([]int64{2, 4}, x))
	if err != nil {
		t.Fatal(err)
	}
	ref := mustJSON(t, map[string]any{"outputs": []any{
		map[string]any{"name": "output_label", "shape": outs[0].Shape, "datatype": "INT64", "data": outs[0].Data},
		map[string]any{"name": "output_probability", "shape": outs[1].Shape, "datatype": "FP32", "data": outs[1].Data},
	}})
	if got[0] != ref {
		t.Fatalf("iris tensors:\n got %s\nwant %s", got[0], ref)
	}
	if !strings.Contains(got[0], `{"data":[0,2],"datatype":"INT64","name":"output_label","shape":[2]}`) {
		t.Fatalf("iris labels: %s", got[0])
	}
	_, err = load(t, "ppocr-page").PreprocessInput(Input{Tensors: []tensor.Named{{Name: "x", Tensor: tensor.New([]int64{1}, []float32{1})}}})
	assertInputError(t, err, codeInvalidTensor, "pipeline")
}

// TestStaticBatchRunsOneRowAtATime: an export with a batch dim of 1 (an
// Ultralytics default) loads, says max batch 1, and runs each row alone.
func TestStaticBatchRunsOneRowAtATime(t *testing.T) {
	dir := folder(t, "yolo", map[string]string{"yolo.onnx": "@testdata/tiny_yolo.onnx", "manifest.json": `{"task": "tensor", "batch": {"max_batch": 16}}`})
	m := loadDir(t, dir)
	want(t, "max batch", m.MaxBatch(), 1)
	img := func(v float32) []tensor.Named {
		d := make([]float32, 3*32*32)
		for i := range d {
			d[i] = v + float32(i%32)
		}
		return []tensor.Named{{Name: "images", Tensor: tensor.New([]int64{1, 3, 32, 32}, d)}}
	}
	got, runs := runRequests(t, m, [][]tensor.Named{img(0), img(100), img(7)})
	want(t, "runs", fmt.Sprint(runs), "[1 1 1]")
	if !strings.Contains(got[1], `{"data":[100,101,102,103,100,101,102,103,100,101,102,103,100,101,102,103,100,101,102,103,100,101,102,103],"datatype":"FP32","name":"output0","shape":[1,6,4]}`) {
		t.Fatalf("output: %s", got[1])
	}
}

func TestJSONDataOfNonFiniteFloats(t *testing.T) {
	got := mustJSON(t, jsonData([]float32{1.5, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}))
	want(t, "json", got, `[1.5,"NaN","Infinity","-Infinity"]`)
}
