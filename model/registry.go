package model

import (
	"fmt"
	"slices"
	"sync"

	"github.com/batchinfer/batchinfer/tensor"
)

// Input is one job input as a model's codecs take it. Exactly one of Data,
// Text and Tensors is set.
type Input struct {
	// Data is an input's bytes: an image, a document, a tabular
	// {"features": ...} JSON.
	Data []byte
	// Text is a text input (inline `text`/`text_pair`, a record's text, a
	// .txt object).
	Text *Text
	// Tensors is an Open Inference Protocol request's inputs, batch dim
	// included: they skip the model's codecs (see PreprocessInput).
	Tensors []tensor.Named
}

// Text is a text and, for cross-encoders and rerankers, its pair. The
// strings are whatever the job held: a codec checks them (invalid_text for
// bytes that are not UTF-8).
type Text struct {
	Text string
	Pair *string
}

// Row is what a codec makes of one input: the tensors one model run takes
// for it, and what its postprocessing needs besides the run's outputs.
type Row struct {
	// Inputs holds one tensor per model input, in the manifest's input
	// order, without the batch dim.
	Inputs []Tensor
	// State is the codec's own record of this input (a text's token
	// offsets and tokens, an image's letterbox), handed back to
	// Postprocess; nil when the outputs say everything.
	State any
}

// Codec turns inputs into rows and one row's outputs into a result. A
// Codec is made once per loaded model by its factory and must be safe for
// concurrent use.
type Codec interface {
	// Preprocess makes one row from one input. Bad input gives an
	// *InputError.
	Preprocess(in Input) (Row, error)
	// Postprocess turns the outputs of one row (one per manifest output,
	// batch dim removed, in the output's own dtype) into a JSON-ready
	// result of plain maps, slices, strings, bools and float64s.
	Postprocess(row Row, outputs []Tensor) (map[string]any, error)
}

// RowsCodec is implemented by a codec that makes several rows of one
// input (the pages of a PDF or TIFF for a detector, the windows of a long
// text): PreprocessInput and PostprocessRows then call these instead of
// Preprocess and Postprocess. The rows of one input pack into runs with
// every other row of the model, and outputs[i] is rows[i]'s.
type RowsCodec interface {
	Codec
	PreprocessRows(in Input) ([]Row, error)
	PostprocessRows(rows []Row, outputs [][]Tensor) (map[string]any, error)
}

// PadValuer is implemented by a codec whose rows pad with values of their
// own, one per model input (a tokenizer's pad id for input_ids, 0 for the
// attention mask). Otherwise every input pads with the manifest's
// preprocess.pad_value.
type PadValuer interface {
	PadValues() []float64
}

// CodecFactory makes the codec of a model whose manifest names its task.
// spec holds the complete manifest (the folder's own or the one Inspect
// derived), the session's inputs and outputs, and what the folder holds
// (a Hugging Face export's configs, an Ultralytics export's metadata).
type CodecFactory func(spec *Spec) (Codec, error)

var (
	codecsMu sync.RWMutex
	codecs   = map[string]CodecFactory{}
)

// RegisterCodec makes factory the codec of every model of the given task
// (the manifest's "task", or the task Inspect finds in a folder without a
// manifest). Codec files call it from init; registering a task twice
// panics.
func RegisterCodec(task string, factory CodecFactory) {
	codecsMu.Lock()
	defer codecsMu.Unlock()
	if _, dup := codecs[task]; dup {
		panic(fmt.Sprintf("model: codec for task %q registered twice", task))
	}
	codecs[task] = factory
}

// Tasks lists the tasks with a registered codec, sorted.
func Tasks() []string {
	codecsMu.RLock()
	defer codecsMu.RUnlock()
	var out []string
	for t := range codecs {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func codecFor(task string) (CodecFactory, bool) {
	codecsMu.RLock()
	defer codecsMu.RUnlock()
	f, ok := codecs[task]
	return f, ok
}
