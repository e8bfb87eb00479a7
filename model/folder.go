package model

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// Kinds of model folder Inspect recognises.
const (
	KindManifest    = "manifest"    // manifest.json describes the model completely (its inputs, or a pipeline)
	KindHuggingFace = "huggingface" // a Hugging Face / Optimum export: .onnx, config.json, tokenizer.json, …
	KindUltralytics = "ultralytics" // one .onnx whose metadata holds Ultralytics' names, imgsz, stride, task
	KindONNX        = "onnx"        // a bare .onnx: a tensor model
)

// Spec is what a model folder says about its model before a session runs
// it: the result of Inspect, and what codec factories get.
type Spec struct {
	Dir  string
	Kind string
	// Manifest is complete and validated: the folder's own, or derived
	// from what the folder holds with manifest.json's keys on top.
	Manifest Manifest
	// Inputs and Outputs are the .onnx file's own, as ONNX Runtime
	// describes them (nil for a pipeline, whose stages have their own).
	Inputs, Outputs []TensorSpec
	// Metadata is the .onnx file's custom metadata (nil for KindManifest).
	Metadata map[string]string
	// HF is set for KindHuggingFace, Ultralytics for KindUltralytics.
	HF          *HFExport
	Ultralytics *UltralyticsExport
}

// Defaults of a folder without batch limits of its own.
const (
	defaultMaxBatch      = 32
	defaultMaxBatchBytes = 64 << 20
)

// Inspect reads a model folder without creating the session that will run
// it. A manifest.json with inputs (or a pipeline) describes the model
// completely. Otherwise the folder is a Hugging Face export (config.json
// and tokenizer.json beside model.onnx or onnx/model.onnx), an Ultralytics
// export (its .onnx metadata names classes) or a bare .onnx (a tensor
// model); a manifest.json beside them overrides what it sets. The name is
// the manifest's, else opts.Name, else the folder's; the version the
// manifest's, else the hash of the .onnx (and its external data).
func Inspect(dir string, opts Options) (*Spec, error) {
	man, found, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if found && (len(man.Inputs) > 0 || len(man.Pipeline) > 0) {
		if err := man.validate(); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		return &Spec{Dir: dir, Kind: KindManifest, Manifest: man}, nil
	}
	if !ort.IsInitialized() {
		return nil, errors.New("inspect a folder without a complete manifest: ONNX Runtime is not initialised: call model.InitRuntime first")
	}
	spec, err := deriveSpec(dir, man, opts)
	if err != nil {
		what := "a model folder without manifest.json"
		if found {
			what = "a model folder whose manifest.json only overrides"
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := spec.Manifest.validate(); err != nil {
		return nil, fmt.Errorf("the model %s derived from %s: %w", spec.Manifest.Name, spec.Kind, err)
	}
	return spec, nil
}

// deriveSpec describes a folder from its files, with man's keys on top.
func deriveSpec(dir string, man Manifest, opts Options) (*Spec, error) {
	file, err := findONNX(dir, man.File)
	if err != nil {
		return nil, err
	}
	man.File = file
	onnxPath := filepath.Join(dir, file)
	of, err := readONNX(onnxPath)
	if err != nil {
		return nil, err
	}
	ins, outs, err := ioInfo(onnxPath)
	if err != nil {
		return nil, fmt.Errorf("read I/O info of %s: %w", file, err)
	}
	spec := &Spec{Dir: dir, Metadata: of.metadata}
	if spec.Inputs, err = specsOf("input", ins); err != nil {
		return nil, err
	}
	if spec.Outputs, err = specsOf("output", outs); err != nil {
		return nil, err
	}
	if man.Name == "" {
		man.Name = cmp.Or(opts.Name, filepath.Base(filepath.Clean(dir)))
	}
	man.Version = cmp.Or(man.Version, of.hash)
	if len(man.Outputs) == 0 {
		man.Inputs, man.Outputs = slices.Clone(spec.Inputs), slices.Clone(spec.Outputs)
	} else {
		man.Inputs = slices.Clone(spec.Inputs) // outputs chosen by the overrides, inputs all
	}
	man.Batch.MaxBatch = cmp.Or(man.Batch.MaxBatch, defaultMaxBatch)
	man.Batch.MaxBatchBytes = cmp.Or(man.Batch.MaxBatchBytes, defaultMaxBatchBytes)

	switch {
	case isHFExport(dir):
		spec.Kind = KindHuggingFace
		if spec.HF, err = readHFExport(dir); err != nil {
			return nil, err
		}
		if err := applyHF(&man, spec.HF, spec.Outputs); err != nil {
			return nil, err
		}
	case isUltralytics(of.metadata):
		spec.Kind = KindUltralytics
		if spec.Ultralytics, err = readUltralytics(of.metadata); err != nil {
			return nil, err
		}
		if man.Task == "" {
			if man.Task, err = spec.Ultralytics.modelTask(); err != nil {
				return nil, err
			}
		}
		if len(man.Labels) == 0 {
			man.Labels = spec.Ultralytics.Names
		}
	default:
		spec.Kind = KindONNX
		man.Task = cmp.Or(man.Task, TaskTensor)
	}
	spec.Manifest = man
	return spec, nil
}

// findONNX picks the folder's model file: the manifest's, model.onnx,
// onnx/model.onnx (Hugging Face repositories and transformers.js lay it
// out so), or the only .onnx file in the folder.
func findONNX(dir, named string) (string, error) {
	if named != "" {
		if filepath.IsAbs(named) || strings.Contains(named, "..") {
			return "", fmt.Errorf("manifest file %q must be a path inside the model folder", named)
		}
		if _, err := os.Stat(filepath.Join(dir, named)); err != nil {
			return "", fmt.Errorf("manifest file: %w", err)
		}
		return named, nil
	}
	for _, f := range []string{"model.onnx", filepath.Join("onnx", "model.onnx")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return f, nil
		}
	}
	found, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 1:
		return filepath.Base(found[0]), nil
	case 0:
		return "", fmt.Errorf("%s holds no manifest.json and no .onnx file (looked for model.onnx, onnx/model.onnx, *.onnx)", dir)
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = filepath.Base(f)
	}
	return "", fmt.Errorf("%s holds several .onnx files (%s): name one in manifest.json's file", dir, strings.Join(names, ", "))
}

// specsOf turns ONNX Runtime's I/O info into manifest specs. sklearn's
// sequence of maps is the one non-tensor value served.
func specsOf(kind string, infos []ort.InputOutputInfo) ([]TensorSpec, error) {
	out := make([]TensorSpec, len(infos))
	for i, in := range infos {
		switch in.OrtValueType {
		case ort.ONNXTypeTensor:
			out[i] = TensorSpec{Name: in.Name, Dtype: dtypeName(in.DataType), Shape: slices.Clone([]int64(in.Dimensions))}
		case ort.ONNXTypeSequence:
			if kind == "input" {
				return nil, fmt.Errorf("input %q is a sequence; batchinfer feeds tensors only", in.Name)
			}
			out[i] = TensorSpec{Name: in.Name, Dtype: DtypeSeqMapProb, Shape: []int64{-1}}
		default:
			return nil, fmt.Errorf("%s %q is a %v; batchinfer serves tensors", kind, in.Name, in.OrtValueType)
		}
	}
	return out, nil
}
