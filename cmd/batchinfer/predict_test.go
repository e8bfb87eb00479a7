package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
)

// predict --model ppocr-page reads pages, and --stats tells how its stages
// ran across them.
func TestPredictPagesWithStats(t *testing.T) {
	dir := t.TempDir()
	var files []string
	pages := textimg.Pages(2, 5)
	for _, p := range pages {
		f := filepath.Join(dir, p.Name)
		if err := os.WriteFile(f, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	code, out, stderr := cli(t, "", append([]string{"predict", "--stats", "--model", testenv.ModelDir(t, "ppocr-page")}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := lines(t, out)
	for i, p := range pages {
		o, _ := res[i]["output"].(map[string]any)
		if n, _ := o["line_count"].(float64); int(n) != len(p.Lines) || !strings.Contains(o["text"].(string), p.Lines[0].Text) {
			t.Errorf("%s: output %v, want its %d lines", p.Name, o, len(p.Lines))
		}
	}
	var st predictStats
	if err := json.Unmarshal([]byte(strings.TrimSpace(stderr)), &st); err != nil {
		t.Fatalf("stats line %q: %v", stderr, err)
	}
	rows := len(pages[0].Lines) + len(pages[1].Lines)
	if st.Inputs != 2 || len(st.Stages) != 3 || st.Stages[0]["rows"] != 2.0 || st.Stages[2]["rows"] != float64(rows) || st.Phases["crop"] <= 0 {
		t.Errorf("stats %+v, want 3 stages over 2 pages and %d lines", st, rows)
	}
}

// predict takes Open Inference Protocol requests: as a .json file for a
// model with codecs (iris) and as stdin lines for a bare .onnx, which is a
// tensor model; a refused request is that line's invalid_tensor.
func TestPredictTensorRequests(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "req.json")
	if err := os.WriteFile(req, []byte(`{"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli(t, "", "predict", "--model", testenv.ModelDir(t, "iris-rf"), req)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `{"data":[0,2],"datatype":"INT64","name":"output_label","shape":[2]}`) {
		t.Fatalf("iris tensors: %s", out)
	}

	bare := filepath.Join(dir, "types")
	onnx, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "model", "testdata", "tiny_types.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bare, "model.onnx"), onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	line := `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, -2, 3]}, {"name": "k", "shape": [1, 3], "datatype": "INT32", "data": [2, 2, 2]},
		{"name": "m", "shape": [1, 3], "datatype": "BOOL", "data": [true, true, false]}, {"name": "b", "shape": [1, 1], "datatype": "UINT8", "data": [9]},
		{"name": "e", "shape": [1, 2], "datatype": "INT8", "data": [1, 2]}, {"name": "d", "shape": [1, 1], "datatype": "FP64", "data": [3]},
		{"name": "l", "shape": [1, 2], "datatype": "INT64", "data": [5, 6]}]}`
	line = strings.ReplaceAll(line, "\n\t\t", " ")
	in := line + "\n" + strings.Replace(line, `"shape": [1, 3], "datatype": "FP32"`, `"shape": [1, 3], "datatype": "FP64"`, 1) + "\n" + `{"features": [1, 2]}` + "\n"
	code, out, stderr = cli(t, in, "predict", "--model", bare, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := lines(t, out)
	if len(got) != 3 || got[0]["model"] != "types" {
		t.Fatalf("lines: %s", out)
	}
	raw, _ := json.Marshal(got[0]["output"])
	for _, want := range []string{`{"data":[2,-4,6],"datatype":"FP64","name":"y","shape":[1,3]}`, `{"data":[true,false,false],"datatype":"BOOL","name":"w","shape":[1,3]}`} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("output %s lacks %s", raw, want)
		}
	}
	if errCode(got[1]) != "invalid_tensor" || errCode(got[2]) != "invalid_tensor" {
		t.Fatalf("codes %q, %q; want invalid_tensor twice", errCode(got[1]), errCode(got[2]))
	}
}
