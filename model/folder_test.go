package model

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// folder makes a model folder in t.TempDir() named name: files maps a
// path inside it to its content, or to "@testdata/FILE" / "@cache/PATH"
// for a copy of a test model or a cached artifact (a real tokenizer.json).
func folder(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for path, content := range files {
		data := []byte(content)
		switch {
		case strings.HasPrefix(content, "@testdata/"):
			data = readFile(t, filepath.Join("testdata", strings.TrimPrefix(content, "@testdata/")))
		case strings.HasPrefix(content, "@cache/"):
			data = readFile(t, filepath.Join(testenv.CacheDir(), strings.TrimPrefix(content, "@cache/")))
		}
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sha12 is the expected version of a folder: the first 12 hex digits of
// the .onnx file's SHA-256.
func sha12(t *testing.T, path string) string {
	sum := sha256.Sum256(readFile(t, path))
	return hex.EncodeToString(sum[:])[:12]
}

const (
	bertClassifierConfig = `{"architectures": ["BertForSequenceClassification"], "model_type": "bert",
		"id2label": {"2": "positive", "0": "negative", "1": "neutral"}, "max_position_embeddings": 512, "pad_token_id": 0}`
	// minilmTokenizer is a real tokenizer.json (truncation max_length
	// 128); plainTokenizer one that does not truncate.
	minilmTokenizer = "@cache/tokenizers/minilm/tokenizer.json"
	plainTokenizer  = `{"version": "1.0", "truncation": null, "model": {"type": "WordPiece"}}`
)

// inspectCase is one export folder Inspect reads and what to check of its Spec.
type inspectCase struct {
	name  string
	files map[string]string
	check func(t *testing.T, s *Spec)
}

// hfClassifierCases are text-classification exports: labels, activation,
// the tighter of the length limits, manifest.json's overrides.
func hfClassifierCases() []inspectCase {
	return []inspectCase{
		{
			name: "classification export",
			files: map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "config.json": bertClassifierConfig,
				"tokenizer.json": plainTokenizer, "tokenizer_config.json": `{"model_max_length": 256}`, "special_tokens_map.json": `{"cls_token": "[CLS]"}`},
			check: func(t *testing.T, s *Spec) {
				m := s.Manifest
				want(t, "task", m.Task, TaskTextClassification)
				want(t, "labels", strings.Join(m.Labels, ","), "negative,neutral,positive")
				want(t, "activation", m.Activation, "softmax")
				want(t, "max_length", m.MaxLength, 256)
				want(t, "file", m.File, "model.onnx")
				want(t, "inputs", describeSpecs(m.Inputs), `"input_ids" INT64 [N,*], "attention_mask" INT64 [N,*], "token_type_ids" INT64 [N,*]`)
				want(t, "special tokens", s.HF.SpecialTokens["cls_token"], any("[CLS]"))
			},
		},
		{
			name: "onnx/model.onnx, multi-label, RoBERTa positions",
			files: map[string]string{"onnx/model.onnx": "@testdata/tiny_classifier.onnx", "tokenizer.json": plainTokenizer,
				"config.json": `{"architectures": ["XLMRobertaForSequenceClassification"], "model_type": "xlm-roberta",
					"problem_type": "multi_label_classification", "max_position_embeddings": 514, "pad_token_id": 1,
					"id2label": {"0": "toxic", "1": "insult", "2": "threat"}}`,
				"tokenizer_config.json": `{"model_max_length": 1000000000000000019884624838656}`},
			check: func(t *testing.T, s *Spec) {
				want(t, "file", s.Manifest.File, filepath.Join("onnx", "model.onnx"))
				want(t, "activation", s.Manifest.Activation, "sigmoid")
				want(t, "max_length", s.Manifest.MaxLength, 512)
			},
		},
		{
			name: "the real MiniLM tokenizer.json truncates at 128, the tighter limit",
			files: map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "config.json": bertClassifierConfig,
				"tokenizer.json": minilmTokenizer, "tokenizer_config.json": `{"model_max_length": 512}`},
			check: func(t *testing.T, s *Spec) { want(t, "max_length", s.Manifest.MaxLength, 128) },
		},
		{
			name: "manifest.json overrides",
			files: map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "config.json": bertClassifierConfig,
				"tokenizer.json": minilmTokenizer,
				"manifest.json":  `{"name": "reviews", "version": "v7", "max_length": 64, "top_k": 2, "batch": {"max_batch": 8, "max_batch_tokens": 4096}}`},
			check: func(t *testing.T, s *Spec) {
				m := s.Manifest
				want(t, "name", m.Name, "reviews")
				want(t, "version", m.Version, "v7")
				want(t, "max_length", m.MaxLength, 64)
				want(t, "top_k", m.TopK, 2)
				want(t, "max_batch", m.Batch.MaxBatch, 8)
				want(t, "max_batch_tokens", m.Batch.MaxBatchTokens, int64(4096))
				want(t, "max_batch_bytes", m.Batch.MaxBatchBytes, int64(defaultMaxBatchBytes))
			},
		},
	}
}

// hfEncoderCases are feature-extraction exports, told by their pooling
// config or by their output.
func hfEncoderCases() []inspectCase {
	return []inspectCase{
		{
			name: "sentence-transformers encoder with CLS pooling",
			files: map[string]string{"model.onnx": "@testdata/tiny_encoder.onnx", "tokenizer.json": plainTokenizer,
				"config.json":           `{"architectures": ["BertModel"], "model_type": "bert", "max_position_embeddings": 512}`,
				"1_Pooling/config.json": `{"word_embedding_dimension": 2, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}`},
			check: func(t *testing.T, s *Spec) {
				want(t, "task", s.Manifest.Task, TaskFeatureExtraction)
				want(t, "pooling", s.Manifest.Pooling, "cls")
				want(t, "max_length", s.Manifest.MaxLength, 512)
			},
		},
		{
			name: "an encoder named for masked LM is told by its output",
			files: map[string]string{"model.onnx": "@testdata/tiny_encoder.onnx", "tokenizer.json": minilmTokenizer,
				"config.json": `{"architectures": ["BertForMaskedLM"], "model_type": "bert"}`},
			check: func(t *testing.T, s *Spec) {
				want(t, "task", s.Manifest.Task, TaskFeatureExtraction)
				want(t, "pooling", s.Manifest.Pooling, "")
			},
		},
	}
}

func TestInspectHuggingFace(t *testing.T) {
	for _, tc := range slices.Concat(hfClassifierCases(), hfEncoderCases()) {
		t.Run(tc.name, func(t *testing.T) {
			dir := folder(t, "sentiment-export", tc.files)
			s, err := Inspect(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want(t, "kind", s.Kind, KindHuggingFace)
			if !strings.Contains(tc.name, "overrides") {
				want(t, "name", s.Manifest.Name, "sentiment-export")
				want(t, "version", s.Manifest.Version, sha12(t, filepath.Join(dir, s.Manifest.File)))
			}
			tc.check(t, s)
		})
	}
}

func TestInspectUltralytics(t *testing.T) {
	dir := folder(t, "yolo", map[string]string{"best.onnx": "@testdata/tiny_yolo.onnx"})
	s, err := Inspect(dir, Options{Name: "detector"})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "kind", s.Kind, KindUltralytics)
	want(t, "name", s.Manifest.Name, "detector")
	want(t, "task", s.Manifest.Task, TaskObjectDetection)
	want(t, "labels", strings.Join(s.Manifest.Labels, "|"), "person|o'clock|traïn")
	want(t, "imgsz", s.Ultralytics.ImgSize, []int{32, 32})
	want(t, "stride", s.Ultralytics.Stride, 32)
	want(t, "input", describeSpecs(s.Manifest.Inputs), `"images" FP32 [1,3,32,32]`)
	want(t, "version", s.Manifest.Version, sha12(t, filepath.Join(dir, "best.onnx")))
}

// TestONNXMetadataMatchesRuntime reads the metadata of the tiny YOLO
// export both ways: the protobuf walk and ONNX Runtime's own reader.
func TestONNXMetadataMatchesRuntime(t *testing.T) {
	path := filepath.Join("testdata", "tiny_yolo.onnx")
	got, err := onnxMetadata(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	md, err := ort.GetModelMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	defer md.Destroy()
	keys, err := md.GetCustomMetadataMapKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(got) || len(keys) < 5 {
		t.Fatalf("ORT has %d keys %v, the walk %d: %v", len(keys), keys, len(got), got)
	}
	for _, k := range keys {
		v, _, err := md.LookupCustomMetadataMap(k)
		if err != nil {
			t.Fatal(err)
		}
		if got[k] != v {
			t.Fatalf("metadata %q: walk %q, ORT %q", k, got[k], v)
		}
	}
}

func TestInspectRefuses(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no model at all", map[string]string{"README": "x"}, "no manifest.json and no .onnx file"},
		{"two .onnx files", map[string]string{"a.onnx": "@testdata/tiny_types.onnx", "b.onnx": "@testdata/tiny_yolo.onnx"}, "several .onnx files (a.onnx, b.onnx)"},
		{"unknown architecture", map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "tokenizer.json": minilmTokenizer,
			"config.json": `{"architectures": ["T5ForConditionalGeneration"]}`}, "set task in manifest.json"},
		{"max_length over the positions", map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "tokenizer.json": plainTokenizer,
			"config.json": bertClassifierConfig, "manifest.json": `{"max_length": 1024}`}, "max_length 1024 is over the 512 tokens"},
		{"id2label with a gap", map[string]string{"model.onnx": "@testdata/tiny_classifier.onnx", "tokenizer.json": minilmTokenizer,
			"config.json": `{"architectures": ["BertForSequenceClassification"], "id2label": {"0": "a", "2": "b"}}`}, "ids must be 0..1"},
		{"a misspelt override", map[string]string{"model.onnx": "@testdata/tiny_types.onnx", "manifest.json": `{"pooling_mode": "cls"}`}, "pooling_mode"},
		{"an override naming a missing file", map[string]string{"model.onnx": "@testdata/tiny_types.onnx", "manifest.json": `{"file": "other.onnx"}`}, "other.onnx"},
		{"not an ONNX file", map[string]string{"model.onnx": "\xff\xff\xff"}, "not an ONNX model file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inspect(folder(t, "m", tc.files), Options{})
			testenv.WantError(t, err, tc.want)
		})
	}
}

func TestParsePyNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{0: 'person', 1: 'bicycle'}`, "person|bicycle"},
		{`{1: "it's", 0: 'a\\b', }`, `a\b|it's`},
		{`{0: 'caf\xe9', 1: '\u00e9t\u00e9'}`, "café|été"},
		{`{}`, ""},
	}
	for _, tc := range tests {
		got, err := parsePyNames(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		want(t, tc.in, strings.Join(got, "|"), tc.want)
	}
	for _, bad := range []string{`['a', 'b']`, `{0: 'a', 0: 'b'}`, `{0: 'a', 2: 'b'}`, `{0: 'a'`, `{0: a}`, `{0: 'a'} x`} {
		if _, err := parsePyNames(bad); err == nil {
			t.Fatalf("parsePyNames(%s) accepted", bad)
		}
	}
}

func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !equalish(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func equalish(a, b any) bool {
	if x, ok := a.([]int); ok {
		y, ok := b.([]int)
		return ok && slices.Equal(x, y)
	}
	return a == b
}
