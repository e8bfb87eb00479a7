package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/samples"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/model"
)

// cli runs the binary's entry point in process and returns its exit
// status and output.
func cli(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("ONNXRUNTIME_LIB", testenv.ORTLib(t))
	stdin = strings.NewReader(in)
	t.Cleanup(func() { stdin = os.Stdin })
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", l, err)
		}
		res = append(res, m)
	}
	return res
}

func errCode(m map[string]any) string {
	if e, ok := m["error"].(map[string]any); ok {
		return e["code"].(string)
	}
	return ""
}

func TestPredictFilesInInputOrderWithPerInputErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := []string{
		write("a.png", textimg.PNG("Invoice 2026-11-27", textimg.Options{})),
		write("b.heic", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...)), // an iPhone photo
		filepath.Join(dir, "missing.png"),
		write("c.png", textimg.PNG("Total $12.50", textimg.Options{Font: textimg.Bold})),
	}
	code, out, stderr := cli(t, "", append([]string{"predict", "--model", testenv.ModelDir(t, "ppocr-rec"), "--batch", "2"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (bad inputs are per-line errors)\n%s", code, stderr)
	}
	got := lines(t, out)
	if len(got) != len(files) {
		t.Fatalf("%d lines for %d inputs:\n%s", len(got), len(files), out)
	}
	for i, f := range files {
		if got[i]["input"] != f {
			t.Errorf("line %d is for %v, want %s (input order)", i, got[i]["input"], f)
		}
	}
	if o, _ := got[0]["output"].(map[string]any); o["text"] != "Invoice 2026-11-27" || got[0]["model"] != "ppocr-rec" || got[0]["model_version"] == "" {
		t.Errorf("line 0 = %v", got[0])
	}
	if errCode(got[1]) != "unsupported_format" || errCode(got[2]) != "input_missing" {
		t.Errorf("error codes %q, %q; want unsupported_format, input_missing", errCode(got[1]), errCode(got[2]))
	}
	if o, _ := got[3]["output"].(map[string]any); o["text"] != "Total $12.50" {
		t.Errorf("line 3 = %v", got[3])
	}
}

func TestPredictTabularFromStdin(t *testing.T) {
	in := `{"features": [5.1, 3.5, 1.4, 0.2]}
{"features": [1, 2, 3]}
{"features": [5.0, "NaN", 1.4, 0.2]}
{"features": {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}}
`
	code, out, stderr := cli(t, in, "predict", "--model", testenv.ModelDir(t, "iris-rf"), "-")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := lines(t, out)
	if len(got) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(got), out)
	}
	label := func(m map[string]any) any { o, _ := m["output"].(map[string]any); return o["label"] }
	if label(got[0]) != "setosa" || label(got[3]) != "virginica" {
		t.Errorf("labels %v, %v; want setosa, virginica", label(got[0]), label(got[3]))
	}
	if errCode(got[1]) != "wrong_feature_count" || errCode(got[2]) != "non_finite_feature" {
		t.Errorf("codes %q, %q", errCode(got[1]), errCode(got[2]))
	}
	if got[1]["input"] != "stdin:2" {
		t.Errorf("input names %v, want stdin:N", got[1]["input"])
	}
}

func TestBenchPrintsSideBySideFigures(t *testing.T) {
	man, err := model.ReadManifest(testenv.ModelDir(t, "iris-rf"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := samples.Inputs(man, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	inputs := t.TempDir()
	if err := samples.WriteDir(inputs, ss); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli(t, "", "bench", "--model", testenv.ModelDir(t, "iris-rf"), "--batch", "64", "--inputs", inputs,
		"--items", "64", "--rounds", "1", "--threads", "1", "--sweep", "--sizes", "1,64")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep struct {
		Sweep       []struct{ Batch int }
		Recommended int `json:"recommended_batch"`
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"raw_ort_items_per_s", "pipeline_items_per_s", "pipeline_batch1_items_per_s", "pipeline_vs_raw"} {
		if v, _ := raw[k].(float64); v <= 0 {
			t.Errorf("%s = %v, want > 0", k, raw[k])
		}
	}
	_ = json.Unmarshal([]byte(out), &rep)
	if len(rep.Sweep) != 2 || (rep.Recommended != 1 && rep.Recommended != 64) {
		t.Errorf("sweep %v, recommended %d", rep.Sweep, rep.Recommended)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"no-such-command"},
		{"predict"},
		{"predict", "--model"},
		{"bench"},
		{"local", "sideways"},
	} {
		if code, _, _ := cli(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := cli(t, "", "predict", "--model", t.TempDir(), "x.png"); code != 1 || !strings.Contains(stderr, "manifest") {
		t.Errorf("a folder without a manifest: exit %d, %q; want 1 naming the manifest", code, stderr)
	}
}
