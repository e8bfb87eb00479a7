package local

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every folder with a manifest, an .onnx file or a Hugging Face export's
// configs is a model, in a group folder too, pipelines first; other
// folders and files are not.
func TestInstalledModelsPutsPipelinesFirst(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("iris-rf/manifest.json", `{"name": "iris-rf"}`)
	write("a-rec/manifest.json", `{"name": "a-rec"}`)
	write("z-page/manifest.json", `{"name": "z-page", "pipeline": [{"name": "det"}]}`)
	write("bare/model.onnx", "onnx")
	write("text/minilm-ner/config.json", "{}")
	write("text/minilm-ner/tokenizer.json", "{}")
	write("text/optimum/onnx/model.onnx", "onnx")
	write("text/notes/README.md", "not a model")
	write("newer/manifest.json", `{"name": "newer", "ensemble_of": ["a", "b"]}`)
	write("notes/README.md", "not a model")
	write("loose.onnx", "a file, not a folder")
	got, skipped, err := InstalledModels(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "newer") || !strings.Contains(skipped[0], "ensemble_of") {
		t.Errorf("skipped %q, want the folder whose manifest this build cannot read", skipped)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"z-page", "a-rec", "bare", "iris-rf", "minilm-ner", "optimum"}; !slices.Equal(names, want) {
		t.Errorf("InstalledModels = %v, want %v", names, want)
	}
	if _, _, err := InstalledModels(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "go tool task setup") {
		t.Errorf("a missing folder: %v", err)
	}
}
