package model

import (
	"strings"
	"testing"

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
