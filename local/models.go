package local

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// InstalledModels lists the model folders under dir (what setup prepared in
// .cache/models), so that `local run` serves every one of them as the
// deployed function would serve its BATCHINFER_MODELS. A folder is a model
// when it holds a manifest.json, an .onnx file (also under onnx/, as
// Optimum exports), or a Hugging Face export's config.json and
// tokenizer.json; a folder that is none of these groups models (setup's
// text/) and is looked into once. Pipelines come first, then the rest by
// path: the first is the default model, and a whole page in (page OCR) is
// what an inbox mostly receives.
func InstalledModels(dir string) ([]string, error) {
	ms, err := modelFolders(dir, 1)
	if err != nil {
		return nil, fmt.Errorf("no installed models in %s (run `go tool task setup`, or give --models): %w", dir, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no installed models in %s (run `go tool task setup`, or give --models)", dir)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].pipeline != ms[j].pipeline {
			return ms[i].pipeline
		}
		return ms[i].path < ms[j].path
	})
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.path
	}
	return out, nil
}

type modelFolder struct {
	path     string
	pipeline bool
}

// modelFolders finds the model folders in dir, looking depth levels of
// groups deeper.
func modelFolders(dir string, depth int) ([]modelFolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ms []modelFolder
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if man, err := os.ReadFile(filepath.Join(p, "manifest.json")); err == nil {
			var m struct {
				Pipeline []json.RawMessage `json:"pipeline"`
			}
			_ = json.Unmarshal(man, &m) // a bad manifest is the function's to report, by name
			ms = append(ms, modelFolder{path: p, pipeline: len(m.Pipeline) > 0})
			continue
		}
		if isModelFolder(p) {
			ms = append(ms, modelFolder{path: p})
			continue
		}
		if depth > 0 {
			sub, err := modelFolders(p, depth-1)
			if err != nil {
				return nil, err
			}
			ms = append(ms, sub...)
		}
	}
	return ms, nil
}

// isModelFolder reports a folder that needs no manifest: an .onnx file
// (also under onnx/), or a Hugging Face export's configs.
func isModelFolder(p string) bool {
	for _, pattern := range []string{"*.onnx", "onnx/*.onnx"} {
		if m, _ := filepath.Glob(filepath.Join(p, pattern)); len(m) > 0 {
			return true
		}
	}
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(p, f)); err != nil {
			return false
		}
	}
	return true
}
