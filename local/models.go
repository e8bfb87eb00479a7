package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/batchinfer/batchinfer/model"
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
//
// A folder whose manifest.json this build cannot read (a field from a newer
// setup) is left out and named in skipped, with why, instead of stopping the
// function's start-up.
func InstalledModels(dir string) (models, skipped []string, err error) {
	ms, err := modelFolders(dir, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("no installed models in %s (run `go tool task setup`, or give --models): %w", dir, err)
	}
	var ok []modelFolder
	for _, m := range ms {
		if m.unreadable != "" {
			skipped = append(skipped, m.path+": "+m.unreadable)
			continue
		}
		ok = append(ok, m)
	}
	ms = ok
	if len(ms) == 0 {
		return nil, skipped, fmt.Errorf("no installed models in %s (run `go tool task setup`, or give --models)", dir)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].pipeline != ms[j].pipeline {
			return ms[i].pipeline
		}
		return ms[i].path < ms[j].path
	})
	models = make([]string, len(ms))
	for i, m := range ms {
		models[i] = m.path
	}
	return models, skipped, nil
}

type modelFolder struct {
	path       string
	pipeline   bool
	unreadable string // why this build cannot read its manifest
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
			var m model.Manifest
			dec := json.NewDecoder(bytes.NewReader(man))
			dec.DisallowUnknownFields() // as model.Load reads it
			f := modelFolder{path: p}
			if err := dec.Decode(&m); err != nil {
				f.unreadable = "manifest.json: " + err.Error()
			}
			f.pipeline = len(m.Pipeline) > 0
			ms = append(ms, f)
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
