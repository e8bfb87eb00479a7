package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/tensor"
)

// tinyModel loads one of model/testdata's tiny ONNX models from a folder
// of its own, with an optional manifest.json of overrides.
func tinyModel(t *testing.T, file, manifest string) *model.Model {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strings.TrimSuffix(file, ".onnx"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "model", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if manifest != "" {
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := model.Load(dir, model.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// tensorItem is a job's tensor request for m, decoded as the worker
// decodes it.
func tensorItem(t *testing.T, m *model.Model, request string) Item {
	t.Helper()
	in, err := FileInput("request.json", []byte(request))
	if err != nil {
		t.Fatal(err)
	}
	return Item{Model: m, Input: in}
}

func outputJSON(t *testing.T, p Prediction) string {
	t.Helper()
	if p.Err != nil {
		return "error " + string(jobs.CodeOf(p.Err)) + ": " + p.Err.Error()
	}
	b, err := json.Marshal(p.Output)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPredictTensorRequests: tensor requests for a tensor model and for a
// model with codecs share runs with requests of the same dims, answer
// what each request answers alone, and a refused request fails alone.
func TestPredictTensorRequests(t *testing.T) {
	iris := models[0]
	types := tinyModel(t, "tiny_types.onnx", "")
	eng := newEngine(t, iris, types)
	typesReq := func(n, l int) string {
		rows := func(per int, v string) string {
			return "[" + strings.TrimSuffix(strings.Repeat(v+",", n*per), ",") + "]"
		}
		return fmt.Sprintf(`{"inputs": [
			{"name": "x", "shape": [%[1]d, 3], "datatype": "FP32", "data": %[2]s},
			{"name": "k", "shape": [%[1]d, 3], "datatype": "INT32", "data": %[3]s},
			{"name": "m", "shape": [%[1]d, 3], "datatype": "BOOL", "data": %[4]s},
			{"name": "b", "shape": [%[1]d, %[5]d], "datatype": "UINT8", "data": %[6]s},
			{"name": "e", "shape": [%[1]d, 2], "datatype": "INT8", "data": %[7]s},
			{"name": "d", "shape": [%[1]d, 1], "datatype": "FP64", "data": %[8]s},
			{"name": "l", "shape": [%[1]d, 2], "datatype": "INT64", "data": %[9]s}]}`,
			n, rows(3, "1.5"), rows(3, "-2"), rows(3, "true"), l, rows(l, "200"), rows(2, "-7"), rows(1, `"NaN"`), rows(2, "4"))
	}
	items := []Item{
		tensorItem(t, iris, `{"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}`),
		bytesItem(iris, []byte(`{"features": [6.7, 3.0, 5.2, 2.3]}`)),
		tensorItem(t, types, typesReq(2, 3)),
		tensorItem(t, iris, `{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [6.7, 3.0, 5.2, 2.3]}]}`),
		tensorItem(t, types, typesReq(1, 5)),
		tensorItem(t, iris, `{"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [6.7, 3.0, 5.2]}]}`),
		tensorItem(t, types, typesReq(3, 3)),
		bytesItem(types, []byte(`{"features": [1]}`)),
	}
	preds := eng.Predict(context.Background(), items)
	wantBatch := []int{3, 1, 5, 3, 1, 0, 5, 0}
	for i, p := range preds {
		alone := eng.Predict(context.Background(), items[i:i+1])[0]
		if got, want := outputJSON(t, p), outputJSON(t, alone); got != want {
			t.Fatalf("item %d together:\n%s\nalone:\n%s", i, got, want)
		}
		if p.BatchSize != wantBatch[i] {
			t.Fatalf("item %d ran in a batch of %d, want %d", i, p.BatchSize, wantBatch[i])
		}
	}
	for i, want := range map[int]string{
		5: `invalid_tensor: input "X" has shape [1 3]; the model takes FP32 [N,4] (dim 1 must be 4)`,
		7: `invalid_tensor: model model.onnx is a tensor model`,
	} {
		if got := outputJSON(t, preds[i]); !strings.Contains(got, want) && !strings.Contains(got, strings.ReplaceAll(want, "model.onnx", "tiny_types")) {
			t.Fatalf("item %d: %s, want %s", i, got, want)
		}
	}
	if got := outputJSON(t, preds[4]); !strings.Contains(got, `{"data":["NaN"],"datatype":"FP64","name":"d2","shape":[1,1]}`) ||
		!strings.Contains(got, `{"data":[200,200,200,200,200],"datatype":"UINT8","name":"u","shape":[1,5]}`) {
		t.Fatalf("types output: %s", got)
	}
}

// sumCodec is a text-like codec of tiny_classifier: a text of n words is
// ids 1..n, a mask of ones and token types of ones, padded per input with
// 9, 0 and 2 (its PadValues): the model's outputs, (Σ ids·mask, Σ mask,
// Σ types), say which pad value each input was given.
type sumCodec struct{}

func (sumCodec) Preprocess(in model.Input) (model.Row, error) {
	n := len(strings.Fields(in.Text.Text))
	ids, mask, types := make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range ids {
		ids[i], mask[i], types[i] = int64(i+1), 1, 1
	}
	shape := []int64{int64(n)}
	return model.Row{Inputs: []model.Tensor{tensor.New(shape, ids), tensor.New(shape, mask), tensor.New(shape, types)}, State: n}, nil
}

func (sumCodec) Postprocess(row model.Row, outs []model.Tensor) (map[string]any, error) {
	l := outs[0].Float32()
	return map[string]any{"words": row.State, "ids": l[0], "mask": l[1], "types": l[2]}, nil
}

func (sumCodec) PadValues() []float64 { return []float64{9, 0, 2} }

func init() {
	model.RegisterCodec("test-sum", func(*model.Spec) (model.Codec, error) { return sumCodec{}, nil })
}

// TestPredictRowsOfSeveralInputs: a codec's rows of three int64 inputs
// are packed into shared runs, each input padded with the codec's own
// value.
func TestPredictRowsOfSeveralInputs(t *testing.T) {
	m := tinyModel(t, "tiny_classifier.onnx", `{"task": "test-sum", "batch": {"max_batch": 8}}`)
	eng := newEngine(t, m)
	texts := []string{"one", "one two three", "a b", "a b c d e", "x"}
	items := make([]Item, len(texts))
	for i, s := range texts {
		items[i] = Item{Model: m, Input: model.Input{Text: &model.Text{Text: s}}}
	}
	preds := eng.Predict(context.Background(), items)
	padded := false
	for i, p := range preds {
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		n := len(strings.Fields(texts[i]))
		var got struct{ IDs, Mask, Types, Words int }
		if err := json.Unmarshal([]byte(outputJSON(t, p)), &got); err != nil {
			t.Fatal(err)
		}
		// ids padded with 9 under a mask padded with 0 add nothing; types
		// padded with 2 add 2 per padded position.
		if got.Words != n || got.IDs != n*(n+1)/2 || got.Mask != n || got.Types < n || (got.Types-n)%2 != 0 {
			t.Fatalf("%q (batch %d): %+v", texts[i], p.BatchSize, got)
		}
		padded = padded || got.Types > n
	}
	if !padded || preds[0].BatchSize < 2 {
		t.Fatalf("no text was padded in a shared run (batch %d)", preds[0].BatchSize)
	}
}

func TestInputOfJobs(t *testing.T) {
	text := "héllo"
	tests := []struct {
		name string
		in   jobs.Input
		data string
		want string
	}{
		{"inline text", jobs.Input{Text: &jobs.Text{Text: text}}, "", "text héllo"},
		{"txt object", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "notes/a.TXT"}}, "\xef\xbb\xbfa line\n", "text a line\n"},
		{"txt object, not UTF-8", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "a.txt"}}, "caf\xe9", "error invalid_text"},
		{"json request object", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "r.json"}}, `{"inputs": [{"name": "X", "shape": [1], "datatype": "INT32", "data": [7]}]}`, "tensors X [1] [7]"},
		{"json request object, bad", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "r.json"}}, `{"inputs": [{"name": "X", "shape": [2], "datatype": "INT32", "data": [7]}]}`, "error invalid_tensor"},
		{"json features object", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "row.json"}}, `{"features": [1]}`, `bytes {"features": [1]}`},
		{"png object", jobs.Input{S3: &jobs.S3Object{Bucket: "b", Key: "a.png"}}, "\x89PNG", "bytes \x89PNG"},
		{"inline features", jobs.Input{Features: []byte(`{"features":[1]}`)}, "", `bytes {"features":[1]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := InputOf(tc.in, []byte(tc.data))
			var got string
			switch {
			case err != nil:
				got = "error " + string(jobs.CodeOf(err))
			case in.Text != nil:
				got = "text " + in.Text.Text
			case in.Tensors != nil:
				got = fmt.Sprintf("tensors %s %v %v", in.Tensors[0].Name, in.Tensors[0].Shape, in.Tensors[0].Data)
			default:
				got = "bytes " + string(in.Data)
			}
			if got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestIsolatedItemsKeepTheirInput: what the parent writes for the child
// reads back as the same input, for bytes, texts and tensors.
func TestIsolatedItemsKeepTheirInput(t *testing.T) {
	pair := "p"
	req := `{"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1.5, "NaN", "-Infinity"]},
		{"name": "b", "shape": [2], "datatype": "UINT8", "data": [0, 255]}, {"name": "c", "shape": [1], "datatype": "BOOL", "data": [true]}]`
	for _, in := range []model.Input{
		{Data: []byte("\x89PNG")},
		{Text: &model.Text{Text: "t", Pair: &pair}},
		tensorItem(t, models[0], req+"}").Input,
	} {
		it := isolateItem{Data: in.Data}
		if in.Text != nil {
			it.Text, it.TextPair = &in.Text.Text, in.Text.Pair
		}
		if in.Tensors != nil {
			it.Tensors = model.TensorRequestJSON(in.Tensors)
		}
		raw, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		var back isolateItem
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%+v", describe(back.input())), fmt.Sprintf("%+v", describe(in)); got != want {
			t.Fatalf("child reads %s, want %s", got, want)
		}
	}
}

func describe(in model.Input) string {
	s := fmt.Sprintf("data %q", in.Data)
	if in.Text != nil {
		s += fmt.Sprintf(" text %q pair %v", in.Text.Text, *in.Text.Pair)
	}
	for _, ts := range in.Tensors {
		s += fmt.Sprintf(" %s %v %s %v", ts.Name, ts.Shape, ts.DType(), ts.Data)
	}
	return s
}

// wordsCodec makes one row per word of a text (ids 1..len(word) under a
// full mask) and answers the sum over its rows of Σ ids·mask: rows of one
// input pack with other inputs' rows and come back in order.
type wordsCodec struct{ sumCodec }

func (wordsCodec) PreprocessRows(in model.Input) ([]model.Row, error) {
	var rows []model.Row
	for _, w := range strings.Fields(in.Text.Text) {
		n := len(w)
		ids, mask := make([]int64, n), make([]int64, n)
		for i := range ids {
			ids[i], mask[i] = int64(i+1), 1
		}
		shape := []int64{int64(n)}
		rows = append(rows, model.Row{Inputs: []model.Tensor{tensor.New(shape, ids), tensor.New(shape, mask), tensor.New(shape, make([]int64, n))}, State: w})
	}
	return rows, nil
}

func (wordsCodec) PostprocessRows(rows []model.Row, outs [][]model.Tensor) (map[string]any, error) {
	total, words := float32(0), []any{}
	for i, r := range rows {
		total += outs[i][0].Float32()[0]
		words = append(words, r.State)
	}
	return map[string]any{"sum": total, "words": words}, nil
}

func init() {
	model.RegisterCodec("test-words", func(*model.Spec) (model.Codec, error) { return wordsCodec{}, nil })
}

func TestPredictSeveralRowsPerInput(t *testing.T) {
	m := tinyModel(t, "tiny_classifier.onnx", `{"task": "test-words", "batch": {"max_batch": 16}}`)
	eng := newEngine(t, m)
	texts := []string{"ab cde", "", "x yy zzz wwww", "hello"}
	items := make([]Item, len(texts))
	for i, s := range texts {
		items[i] = Item{Model: m, Input: model.Input{Text: &model.Text{Text: s}}}
	}
	want := []string{`{"sum":9,"words":["ab","cde"]}`, `{"sum":0,"words":[]}`, `{"sum":20,"words":["x","yy","zzz","wwww"]}`, `{"sum":15,"words":["hello"]}`}
	for i, p := range eng.Predict(context.Background(), items) {
		if got := outputJSON(t, p); got != want[i] {
			t.Fatalf("%q: %s, want %s", texts[i], got, want[i])
		}
	}
}
