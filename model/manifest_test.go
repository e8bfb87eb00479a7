package model

import (
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	ort "github.com/yalue/onnxruntime_go"
)

func TestManifestMismatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		edit  func(*Manifest)
		want  string
	}{
		{"channels", "ppocr-rec", func(m *Manifest) { m.Inputs[0].Shape[1] = 1 }, "manifest inputs[0].shape[1] is 1 but the model says 3"},
		{"input name", "ppocr-cls", func(m *Manifest) { m.Inputs[0].Name = "image" }, `manifest inputs[0].name is "image"`},
		{"output dtype", "ppocr-cls", func(m *Manifest) { m.Outputs[0].Dtype = DtypeInt64 }, "manifest outputs[0].dtype is int64 but the model says float32"},
		{"rank", "ppocr-cls", func(m *Manifest) { m.Outputs[0].Shape = []int64{-1, 2, 1} }, "manifest outputs[0].shape [-1 2 1] has 3 dims"},
		{"sequence output", "iris-rf", func(m *Manifest) { m.Outputs[1].Dtype = DtypeFloat32 }, "manifest outputs[1].dtype is float32 but the model says ONNX_TYPE_SEQUENCE"},
		{"feature count", "iris-rf", func(m *Manifest) { m.Inputs[0].Shape[1] = 5 }, "manifest inputs[0].shape[1] is 5 but the model says 4"},
		{"feature names", "iris-rf", func(m *Manifest) { m.Preprocess.Features = m.Preprocess.Features[:3] }, "preprocess.features lists 3 names but inputs[0].shape[1] is 4"},
		{"labels", "ppocr-cls", func(m *Manifest) { m.Labels = []string{"0", "90", "180"} }, "labels has 3 names but outputs[0].shape[1] is 2"},
		{"charset size", "ppocr-rec", func(m *Manifest) { m.Postprocess.AppendSpace = false }, "the last dim must be 1 blank + 6623 charset symbols = 6624"},
		{"height", "ppocr-rec", func(m *Manifest) { m.Preprocess.Height = 32 }, "preprocess.height is 32 but inputs[0].shape[2] is 48"},
		{"model file", "ppocr-cls", func(m *Manifest) { m.File = "missing.onnx" }, "missing.onnx"},
		{"batch limits", "iris-rf", func(m *Manifest) { m.Batch.MaxBatch = 0 }, "batch.max_batch is 0"},
		{"codec", "iris-rf", func(m *Manifest) { m.Preprocess.Kind = "audio" }, `preprocess.kind "audio"`},
	} {
		t.Run(tc.name, func(t *testing.T) { loadRefused(t, modelDirWith(t, tc.model, tc.edit), tc.want) })
	}
}

func TestManifestUnknownKey(t *testing.T) {
	dir := modelDirWith(t, "iris-rf", func(*Manifest) {})
	writeFile(t, dir, "manifest.json", `{"name": "x", "version": "1", "file": "sklearn_randomforest.onnx", "max_btach": 3}`)
	loadRefused(t, dir, "max_btach")
}

func TestModelAccessors(t *testing.T) {
	m := load(t, "ppocr-rec")
	if m.Name() != "ppocr-rec" || m.Version() == "" || m.MaxBatch() < 1 || m.MaxBatchBytes() < 1 || m.PadMultiple() < 1 {
		t.Fatalf("accessors: %q %q %d %d %d", m.Name(), m.Version(), m.MaxBatch(), m.MaxBatchBytes(), m.PadMultiple())
	}
	if !ort.IsInitialized() || ort.GetVersion() == "" {
		t.Fatal("ONNX Runtime reports no version after InitRuntime")
	}
	if err := InitRuntime("/nonexistent"); err != nil {
		t.Fatalf("a second InitRuntime must return the first result (nil), got %v", err)
	}
}

// loadRefused fails the test unless Load refuses the model in dir with an
// error containing want.
func loadRefused(t testing.TB, dir, want string) {
	t.Helper()
	m, err := Load(dir, Options{})
	if err == nil {
		m.Close()
		t.Fatalf("Load accepted the manifest; want an error containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func TestManifestValidateDtypesAndBatchDims(t *testing.T) {
	base := func(edit func(*Manifest)) Manifest {
		m := Manifest{Name: "m", Version: "1", File: "m.onnx",
			Inputs:  []TensorSpec{{Name: "input_ids", Dtype: "int64", Shape: []int64{-1, -1}}},
			Outputs: []TensorSpec{{Name: "logits", Dtype: "float32", Shape: []int64{-1, 2}}},
			Batch:   BatchSpec{MaxBatch: 8, MaxBatchBytes: 1 << 20}}
		edit(&m)
		return m
	}
	tests := []struct {
		name string
		edit func(*Manifest)
		want string // "" = valid
	}{
		{"int64 input", func(*Manifest) {}, ""},
		{"several inputs of every dtype", func(m *Manifest) {
			for _, d := range []string{"int32", "float64", "int8", "uint8", "bool", "float32"} {
				m.Inputs = append(m.Inputs, TensorSpec{Name: "in_" + d, Dtype: d, Shape: []int64{-1, 3}})
			}
		}, ""},
		{"static batch of one", func(m *Manifest) {
			m.Inputs[0].Shape = []int64{1, 3, 640, 640}
			m.Outputs[0].Shape = []int64{1, 84, 8400}
		}, ""},
		{"static batch of four", func(m *Manifest) { m.Inputs[0].Shape = []int64{4, 3} }, "must start with the batch dim: -1 (dynamic) or 1"},
		{"float16", func(m *Manifest) { m.Inputs[0].Dtype = "float16" }, `inputs[0].dtype "float16" is not float32, float64, int64, int32, int8, uint8 or bool`},
		{"sequence input", func(m *Manifest) { m.Inputs[0].Dtype = DtypeSeqMapProb }, `inputs[0].dtype "seq(map(int64,float32))" is not`},
		{"sequence output", func(m *Manifest) { m.Outputs[0].Dtype = DtypeSeqMapProb }, ""},
		{"no inputs", func(m *Manifest) { m.Inputs = nil }, "inputs is empty"},
		{"input named twice", func(m *Manifest) { m.Inputs = append(m.Inputs, m.Inputs[0]) }, `inputs[1].name "input_ids" is used twice`},
		{"zero dim", func(m *Manifest) { m.Inputs[0].Shape = []int64{-1, 0} }, "inputs[0].shape[1] is 0"},
		{"negative token budget", func(m *Manifest) { m.Batch.MaxBatchTokens = -1 }, "batch.max_batch_tokens is -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base(tc.edit)
			testenv.WantError(t, m.validate(), tc.want)
		})
	}
}

func TestManifestBatchDimHint(t *testing.T) {
	dir := folder(t, "yolo", map[string]string{"yolo.onnx": "@testdata/tiny_yolo.onnx", "manifest.json": `{"name": "y", "version": "1", "file": "yolo.onnx", "task": "tensor",
		"inputs": [{"name": "images", "dtype": "float32", "shape": [-1, 3, 32, 32]}],
		"outputs": [{"name": "output0", "dtype": "float32", "shape": [-1, 6, 4]}], "batch": {"max_batch": 4, "max_batch_bytes": 1000000}}`})
	loadRefused(t, dir, "static batch of one: write 1")
}
