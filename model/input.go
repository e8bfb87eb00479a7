package model

import (
	"fmt"
	"unicode/utf8"
)

// PreprocessInput turns one input into the rows the model runs: one row
// for any codec's input, one row per batch index for an Open Inference
// Protocol request (its tensors are checked against the model's inputs
// and skip the codec). Bad input gives an *InputError.
func (m *Model) PreprocessInput(in Input) ([]Row, error) {
	if in.Tensors != nil {
		if m.session == nil {
			return nil, inputErrorf(codeInvalidTensor, "model %s is a pipeline of stages (it takes documents and images): it takes no tensors", m.manifest.Name)
		}
		return tensorRows(m.manifest.Inputs, in.Tensors)
	}
	if t := in.Text; t != nil && (!utf8.ValidString(t.Text) || (t.Pair != nil && !utf8.ValidString(*t.Pair))) {
		return nil, inputErrorf(codeInvalidText, "the text is not valid UTF-8")
	}
	if limit := m.manifest.Preprocess.MaxInputBytes; limit > 0 {
		if n := inputBytes(in); int64(n) > limit {
			return nil, inputErrorf(codeInputTooLarge, "input is %d bytes; model %s takes at most %d", n, m.manifest.Name, limit)
		}
	}
	if in.Text == nil && len(in.Data) == 0 {
		return nil, inputErrorf(codeEmptyInput, "input is empty (0 bytes)")
	}
	if m.codec == nil {
		if in.Text != nil && m.IsPipeline() {
			return nil, inputErrorf(codeUnsupportedFormat, "model %s reads images and documents, not text", m.manifest.Name)
		}
		return nil, fmt.Errorf("preprocess %s: a pipeline or its stage takes its input through Start", m.manifest.Name)
	}
	if rc, ok := m.codec.(RowsCodec); ok {
		return rc.PreprocessRows(in)
	}
	row, err := m.codec.Preprocess(in)
	if err != nil {
		return nil, err
	}
	return []Row{row}, nil
}

func inputBytes(in Input) int {
	if in.Text == nil {
		return len(in.Data)
	}
	n := len(in.Text.Text)
	if in.Text.Pair != nil {
		n += len(*in.Text.Pair)
	}
	return n
}

// PostprocessRows turns the outputs of one input's rows (outputs[i]
// belongs to rows[i]: one tensor per manifest output, batch dim removed)
// into its result: the codec's, or for a tensor request
// {"outputs": [{"name", "shape", "datatype", "data"}, …]}.
func (m *Model) PostprocessRows(rows []Row, outputs [][]Tensor) (map[string]any, error) {
	rc, several := m.codec.(RowsCodec)
	if (len(rows) == 0 && !several) || len(rows) != len(outputs) {
		return nil, fmt.Errorf("postprocess %s: %d rows with %d outputs", m.manifest.Name, len(rows), len(outputs))
	}
	for _, outs := range outputs {
		if len(outs) != len(m.manifest.Outputs) {
			return nil, fmt.Errorf("postprocess %s: got %d outputs, the manifest lists %d", m.manifest.Name, len(outs), len(m.manifest.Outputs))
		}
	}
	if len(rows) > 0 && isTensorRow(rows[0]) {
		res, err := tensorResponse(m.manifest.Outputs, outputs)
		if err != nil {
			return nil, fmt.Errorf("postprocess %s: %w", m.manifest.Name, err)
		}
		return res, nil
	}
	if m.codec == nil {
		return nil, fmt.Errorf("postprocess %s: a pipeline model gives its output through Flow.Result", m.manifest.Name)
	}
	var res map[string]any
	var err error
	if several {
		res, err = rc.PostprocessRows(rows, outputs)
	} else {
		res, err = m.codec.Postprocess(rows[0], outputs[0])
	}
	if err != nil {
		return nil, fmt.Errorf("postprocess %s: %w", m.manifest.Name, err)
	}
	return res, nil
}

// PadValues is each input's pad value for batching: the codec's own when
// it has them, else the manifest's preprocess.pad_value for every input.
func (m *Model) PadValues() []float64 {
	if pv, ok := m.codec.(PadValuer); ok {
		return pv.PadValues()
	}
	out := make([]float64, len(m.manifest.Inputs))
	for i := range out {
		out[i] = float64(m.manifest.Preprocess.PadValue)
	}
	return out
}

// MaxBatchTokens caps rows × the padded length of the first input in one
// run (batch.max_batch_tokens; 0 = none).
func (m *Model) MaxBatchTokens() int64 { return m.manifest.Batch.MaxBatchTokens }

// Spec is what the model's folder said (nil for a pipeline's stage).
func (m *Model) Spec() *Spec { return m.spec }

// kindCodec serves manifests that pick their codecs by preprocess.kind
// and postprocess.kind: inputs as bytes, one float32 input tensor.
type kindCodec struct {
	pre  preprocessor
	post postprocessor
}

func (c kindCodec) Preprocess(in Input) (Row, error) {
	if in.Text != nil {
		return Row{}, inputErrorf(codeUnsupportedFormat, "this model takes images or features, not text")
	}
	t, err := c.pre.preprocess(in.Data)
	if err != nil {
		return Row{}, err
	}
	return Row{Inputs: []Tensor{t}}, nil
}

func (c kindCodec) Postprocess(_ Row, outputs []Tensor) (map[string]any, error) {
	return c.post.postprocess(outputs)
}

// tensorOnly is the codec of a tensor model (a bare .onnx): every input
// must be a tensor request, which PreprocessInput serves before any codec.
type tensorOnly struct{ name string }

func (c tensorOnly) Preprocess(Input) (Row, error) {
	return Row{}, inputErrorf(codeInvalidTensor, `model %s is a tensor model: send an Open Inference Protocol request {"inputs": [{"name", "shape", "datatype", "data"}]}`, c.name)
}

func (c tensorOnly) Postprocess(Row, []Tensor) (map[string]any, error) {
	return nil, fmt.Errorf("tensor model %s has no codec", c.name)
}

// compile-time checks
var (
	_ Codec = kindCodec{}
	_ Codec = tensorOnly{}
)

func isTensorRow(r Row) bool {
	_, ok := r.State.(tensorState)
	return ok
}
