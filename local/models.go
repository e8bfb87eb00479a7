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
// when it holds a manifest.json or an .onnx file. Pipelines come first,
// then the rest by name: the first is the default model, and a whole page
// in (page OCR) is what an inbox mostly receives.
func InstalledModels(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("no installed models in %s (run `go tool task setup`, or give --models): %w", dir, err)
	}
	type found struct {
		path     string
		pipeline bool
	}
	var ms []found
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		man, err := os.ReadFile(filepath.Join(p, "manifest.json"))
		if err != nil {
			if onnx, _ := filepath.Glob(filepath.Join(p, "*.onnx")); len(onnx) == 0 {
				continue
			}
		}
		var m struct {
			Pipeline []json.RawMessage `json:"pipeline"`
		}
		_ = json.Unmarshal(man, &m) // a bad manifest is the function's to report, by name
		ms = append(ms, found{path: p, pipeline: len(m.Pipeline) > 0})
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
