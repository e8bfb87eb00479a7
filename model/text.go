package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/batchinfer/batchinfer/tensor"
	"github.com/batchinfer/batchinfer/tokenizer"
)

// The text codecs serve the three Hugging Face pipeline tasks.
func init() {
	for _, task := range []string{TaskTextClassification, TaskFeatureExtraction, TaskTokenClassification} {
		RegisterCodec(task, newTextCodec)
	}
}

// TextSettings is what a text model's codec needs to know: the manifest's
// text options (Inspect fills them from a Hugging Face export's configs,
// under a manifest.json's overrides).
type TextSettings struct {
	Task       string
	Labels     []string // class names by id (classification tasks)
	MultiLabel bool     // sigmoid per label instead of softmax
	Pooling    Pooling  // feature-extraction (default mean)
	Normalize  bool     // feature-extraction: L2-normalise the embedding
	MaxLength  int      // tokens per text (and pair) after truncation; 0: the tokenizer's
	TopK       int      // text-classification: labels in top_k (0: every label)
	// Aggregation is token-classification's strategy: "none" (one entity
	// per token) or "simple" (spans of one entity type).
	Aggregation string
	// Output is the output the task reads: logits, the token states to
	// pool, or an already pooled embedding (sentence_embedding), used as
	// it is.
	Output string
	Pooled bool
}

// textCodec turns a text (and optional pair) into a model's input tensors
// and a row's outputs into the task's result.
type textCodec struct {
	tok     *tokenizer.Tokenizer
	decoder *tokenizer.Decoder
	set     TextSettings
	roles   []textRole // per model input, in order
	dtypes  []tensor.DType
	out     int // index of set.Output among the model's outputs
}

// textRole is what a model input holds.
type textRole int

const (
	roleIDs textRole = iota
	roleMask
	roleTypes
)

// TextRow is one tokenized text: the model's input tensors (no batch dim,
// in the model's input order) and what postprocessing needs of the
// encoding (a Row's State).
type TextRow struct {
	Inputs []Tensor
	enc    tokenizer.Encoding
}

// Len is the row's token count.
func (r *TextRow) Len() int { return len(r.enc.IDs) }

// newTextCodec is the codec factory of the text tasks: the tokenizer beside
// the model (tokenizer.json, tokenizer_config.json) and the manifest's
// text options.
func newTextCodec(spec *Spec) (Codec, error) {
	tok, err := tokenizer.Load(spec.Dir)
	if err != nil {
		return nil, err
	}
	set, err := textSettings(spec.Manifest)
	if err != nil {
		return nil, err
	}
	return newTextCodecWith(tok, set, spec.Manifest.Inputs, spec.Manifest.Outputs)
}

// textSettings reads the manifest's text options; the output the task
// reads is logits for the classifiers, and for feature extraction an
// already pooled sentence_embedding, else the token states
// (last_hidden_state, token_embeddings) to pool.
func textSettings(man Manifest) (TextSettings, error) {
	pooling, err := ParsePooling(man.Pooling)
	if err != nil {
		return TextSettings{}, err
	}
	set := TextSettings{
		Task: man.Task, Labels: man.Labels, Pooling: pooling, Normalize: man.Normalize == nil || *man.Normalize,
		MaxLength: man.MaxLength, TopK: man.TopK, Aggregation: man.Aggregation,
	}
	switch man.Vectors {
	case "", "parquet", "npy", "off":
	default:
		return TextSettings{}, fmt.Errorf("vectors %q is not parquet, npy or off", man.Vectors)
	}
	switch man.Activation {
	case "", "softmax":
	case "sigmoid":
		set.MultiLabel = true
	default:
		return TextSettings{}, fmt.Errorf("activation %q is not softmax or sigmoid", man.Activation)
	}
	if set.Task == TaskFeatureExtraction && hasOutput(man.Outputs, "sentence_embedding") {
		set.Output, set.Pooled = "sentence_embedding", true
	} else if set.Task == TaskFeatureExtraction {
		set.Output = firstOutput(man.Outputs, "last_hidden_state", "token_embeddings")
	} else {
		set.Output = firstOutput(man.Outputs, "logits")
	}
	return set, nil
}

func hasOutput(outputs []TensorSpec, name string) bool {
	for _, o := range outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// firstOutput is the first of names the model has, else its first output.
func firstOutput(outputs []TensorSpec, names ...string) string {
	for _, n := range names {
		if hasOutput(outputs, n) {
			return n
		}
	}
	if len(outputs) > 0 {
		return outputs[0].Name
	}
	return ""
}

// newTextCodecWith takes tok's decoder and matches the model's inputs
// (input_ids, attention_mask, token_type_ids; int64 or int32) and outputs
// to the task.
func newTextCodecWith(tok *tokenizer.Tokenizer, set TextSettings, inputs, outputs []TensorSpec) (*textCodec, error) {
	decoder, err := tok.Decoder()
	if err != nil {
		return nil, err
	}
	c := &textCodec{tok: tok, decoder: decoder, set: set}
	if err := c.matchInputs(inputs); err != nil {
		return nil, err
	}
	if c.out, err = c.matchOutput(outputs); err != nil {
		return nil, err
	}
	return c, c.checkTask()
}

func (c *textCodec) matchInputs(inputs []TensorSpec) error {
	for _, in := range inputs {
		var role textRole
		switch in.Name {
		case "input_ids":
			role = roleIDs
		case "attention_mask":
			role = roleMask
		case "token_type_ids":
			role = roleTypes
		default:
			return fmt.Errorf("text model input %q is not input_ids, attention_mask or token_type_ids", in.Name)
		}
		dt, ok := tensor.ParseDType(in.Dtype)
		if !ok || (dt != tensor.Int64 && dt != tensor.Int32) {
			return fmt.Errorf("text model input %q is %s; int64 or int32 expected", in.Name, in.Dtype)
		}
		c.roles, c.dtypes = append(c.roles, role), append(c.dtypes, dt)
	}
	if len(c.roles) == 0 || c.roles[0] != roleIDs {
		return errors.New("a text model's first input must be input_ids")
	}
	return nil
}

func (c *textCodec) matchOutput(outputs []TensorSpec) (int, error) {
	if len(outputs) == 0 {
		return 0, errors.New("the model has no outputs")
	}
	if c.set.Output == "" {
		return 0, nil
	}
	for i, o := range outputs {
		if o.Name == c.set.Output {
			return i, nil
		}
	}
	return 0, fmt.Errorf("output %q is not one of the model's outputs", c.set.Output)
}

func (c *textCodec) checkTask() error {
	switch c.set.Task {
	case TaskTextClassification, TaskTokenClassification:
		if len(c.set.Labels) == 0 {
			return fmt.Errorf("%s needs labels (config.json's id2label or the manifest's labels)", c.set.Task)
		}
		if c.set.Aggregation != "" && c.set.Aggregation != "none" && c.set.Aggregation != "simple" {
			return fmt.Errorf("aggregation %q is not none or simple", c.set.Aggregation)
		}
	case TaskFeatureExtraction:
	default:
		return fmt.Errorf("task %q is not %s, %s or %s", c.set.Task, TaskTextClassification, TaskFeatureExtraction, TaskTokenClassification)
	}
	return nil
}

// PadID is the value padding input_ids gets (the mask's padding is 0, which
// is what makes the model ignore it).
func (c *textCodec) PadID() int { return c.tok.Info().PadID }

// PadValues pads input_ids with the pad id and the mask and type ids with 0.
func (c *textCodec) PadValues() []float64 {
	out := make([]float64, len(c.roles))
	for k, r := range c.roles {
		if r == roleIDs {
			out[k] = float64(c.PadID())
		}
	}
	return out
}

// Preprocess tokenizes a text input; a .txt object's bytes (Data) are its
// text.
func (c *textCodec) Preprocess(in Input) (Row, error) {
	var text, pair []byte
	switch {
	case in.Text != nil:
		text = []byte(in.Text.Text)
		if in.Text.Pair != nil {
			pair = []byte(*in.Text.Pair)
		}
	case in.Data != nil:
		text = in.Data
	default:
		return Row{}, inputErrorf(codeEmptyInput, "no text")
	}
	r, err := c.encode(text, pair)
	if err != nil {
		return Row{}, err
	}
	return Row{Inputs: r.Inputs, State: r}, nil
}

// Postprocess turns one row's outputs into the task's result.
func (c *textCodec) Postprocess(row Row, outputs []Tensor) (map[string]any, error) {
	r, ok := row.State.(*TextRow)
	if !ok {
		return nil, fmt.Errorf("text postprocess got a row of %T", row.State)
	}
	return c.postprocess(r, outputs)
}

// encode tokenizes text (and pair) into one row. Bytes that are not UTF-8
// are invalid_text; a text that yields no token at all is empty_input;
// truncation is not an error (the result says truncated).
func (c *textCodec) encode(text, pair []byte) (*TextRow, error) {
	enc, err := c.tok.EncodeBytes(text, pair, tokenizer.Options{MaxLength: c.set.MaxLength})
	if err != nil {
		var inv *tokenizer.InvalidUTF8Error
		if errors.As(err, &inv) {
			return nil, inputErrorf(codeInvalidText, "%v", inv)
		}
		return nil, err
	}
	n := len(enc.IDs)
	if n == 0 {
		return nil, inputErrorf(codeEmptyInput, "the text yields no tokens")
	}
	row := &TextRow{Inputs: make([]Tensor, len(c.roles)), enc: enc}
	for k, role := range c.roles {
		src := enc.IDs
		switch role {
		case roleMask:
			src = enc.AttentionMask
		case roleTypes:
			src = enc.TypeIDs
		}
		row.Inputs[k] = intTensor(c.dtypes[k], src)
	}
	return row, nil
}

func intTensor(dt tensor.DType, v []int) Tensor {
	shape := []int64{int64(len(v))}
	if dt == tensor.Int32 {
		d := make([]int32, len(v))
		for i, x := range v {
			d[i] = int32(x)
		}
		return tensor.New(shape, d)
	}
	d := make([]int64, len(v))
	for i, x := range v {
		d[i] = int64(x)
	}
	return tensor.New(shape, d)
}

// postprocess turns one row's outputs (each without the batch dim; token
// outputs padded to the row's pack) into the task's result.
func (c *textCodec) postprocess(row *TextRow, outputs []Tensor) (map[string]any, error) {
	if c.out >= len(outputs) {
		return nil, fmt.Errorf("the run gave %d outputs; output %d expected", len(outputs), c.out)
	}
	out := outputs[c.out]
	vals := tensor.AsFloat32(out)
	if vals == nil {
		return nil, fmt.Errorf("output %d is %s, not a float tensor", c.out, out.DType())
	}
	switch c.set.Task {
	case TaskTextClassification:
		return c.classify(vals)
	case TaskTokenClassification:
		return c.entities(row, vals)
	}
	return c.embed(row, out.Shape, vals)
}

func (c *textCodec) classify(logits []float32) (map[string]any, error) {
	scores, err := scoreLabels(logits, c.set.Labels, c.set.MultiLabel, c.set.TopK)
	if err != nil {
		return nil, err
	}
	top := make([]any, len(scores))
	for i, s := range scores {
		top[i] = map[string]any{"label": s.Label, "score": round6(s.Score)}
	}
	return map[string]any{"label": scores[0].Label, "score": round6(scores[0].Score), "top_k": top}, nil
}

func (c *textCodec) embed(row *TextRow, shape []int64, vals []float32) (map[string]any, error) {
	var emb []float32
	if c.set.Pooled {
		emb = append([]float32(nil), vals...)
	} else {
		if len(shape) < 1 || shape[len(shape)-1] < 1 {
			return nil, fmt.Errorf("token output shape %v has no hidden dim", shape)
		}
		dim := int(shape[len(shape)-1])
		emb = pool(vals, dim, maskOf(row), c.set.Pooling)
	}
	for _, x := range emb {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.New("the embedding holds NaN or Inf")
		}
	}
	if c.set.Normalize {
		l2Normalize(emb)
	}
	return map[string]any{"embedding": emb, "dim": len(emb), "num_tokens": row.Len(), "truncated": row.enc.Truncated}, nil
}

func maskOf(row *TextRow) []int64 {
	m := make([]int64, len(row.enc.AttentionMask))
	for i, x := range row.enc.AttentionMask {
		m[i] = int64(x)
	}
	return m
}

func (c *textCodec) entities(row *TextRow, logits []float32) (map[string]any, error) {
	enc := row.enc
	toks := make([]Token, len(enc.IDs))
	for j := range toks {
		toks[j] = Token{ID: enc.IDs[j], Start: enc.Offsets[j][0], End: enc.Offsets[j][1]}
		if !enc.Special[j] {
			toks[j].Word = c.decoder.Tokens([]string{enc.Tokens[j]})
		}
	}
	ents, err := tokenEntities(logits, c.set.Labels, toks, []string{"O"})
	if err != nil {
		return nil, err
	}
	list := make([]any, 0, len(ents))
	if c.set.Aggregation == "simple" {
		groups := groupEntities(ents, func(idx []int) string {
			words := make([]string, len(idx))
			for i, j := range idx {
				words[i] = enc.Tokens[j]
			}
			return c.decoder.Tokens(words)
		})
		for _, g := range groups {
			list = append(list, map[string]any{"entity_group": g.Group, "score": round6(g.Score), "word": g.Word, "start": g.Start, "end": g.End})
		}
	} else {
		for _, e := range ents {
			list = append(list, map[string]any{"entity": e.Entity, "score": round6(e.Score), "index": e.Index, "word": e.Word, "start": e.Start, "end": e.End})
		}
	}
	return map[string]any{"entities": list}, nil
}

// compile-time checks
var (
	_ Codec     = (*textCodec)(nil)
	_ PadValuer = (*textCodec)(nil)
)
