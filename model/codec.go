package model

import "fmt"

// preprocessor turns one input's bytes into one tensor row (no batch dim).
type preprocessor interface {
	preprocess(data []byte) (Tensor, error)
}

// postprocessor turns one row's outputs into a JSON-ready result.
type postprocessor interface {
	postprocess(outputs []Tensor) (map[string]any, error)
}

func newPreprocessor(m Manifest) (preprocessor, error) {
	if len(m.Inputs) != 1 || m.Inputs[0].Dtype != DtypeFloat32 {
		return nil, fmt.Errorf("preprocess.kind %q takes a model with one float32 input; this one has %s (give the manifest a task, or run it as a tensor model)", m.Preprocess.Kind, describeSpecs(m.Inputs))
	}
	switch m.Preprocess.Kind {
	case "image", "text_line":
		return newImageCodec(m)
	case "tabular":
		return newTabularCodec(m)
	}
	return nil, fmt.Errorf("manifest preprocess.kind %q is not image, text_line or tabular", m.Preprocess.Kind)
}

func newPostprocessor(dir string, m Manifest) (postprocessor, error) {
	switch m.Postprocess.Kind {
	case "classification":
		return newClassifier(m)
	case "ctc":
		return newCTC(dir, m)
	case "tabular":
		return newTabularPost(m)
	}
	return nil, fmt.Errorf("manifest postprocess.kind %q is not classification, ctc or tabular", m.Postprocess.Kind)
}
