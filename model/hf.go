package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Tasks Inspect gives the models it finds; codecs register under these
// names (RegisterCodec). TaskTensor needs none: its inputs and outputs are
// raw tensors.
const (
	TaskTensor              = "tensor"
	TaskTextClassification  = "text-classification"
	TaskTokenClassification = "token-classification"
	TaskFeatureExtraction   = "feature-extraction"
	TaskObjectDetection     = "object-detection"
	TaskImageClassification = "image-classification"
)

// HFExport is what a Hugging Face / Optimum ONNX export's JSON files say
// about its model, read by Inspect. The tokenizer itself is read by the
// text codecs from TokenizerPath.
type HFExport struct {
	Config          HFConfig
	TokenizerPath   string         // DIR/tokenizer.json
	TokenizerConfig map[string]any // tokenizer_config.json (nil when absent)
	SpecialTokens   map[string]any // special_tokens_map.json (nil when absent)
	// Pooling is 1_Pooling/config.json, a sentence-transformers export's
	// pooling mode (nil when absent).
	Pooling *HFPooling
	// MaxLength is the most tokens a text may have: tokenizer_config's
	// model_max_length, never above tokenizer.json's own truncation or the
	// positions the model has (0 when none of them says).
	MaxLength int
}

// HFConfig is the part of config.json the loader and the codecs use.
type HFConfig struct {
	Architectures         []string          `json:"architectures"`
	ModelType             string            `json:"model_type"`
	ID2Label              map[string]string `json:"id2label"`
	ProblemType           string            `json:"problem_type"`
	MaxPositionEmbeddings int               `json:"max_position_embeddings"`
	PadTokenID            *int              `json:"pad_token_id"`
	TypeVocabSize         int               `json:"type_vocab_size"`
	HiddenSize            int               `json:"hidden_size"`
}

// HFPooling is sentence-transformers' 1_Pooling/config.json.
type HFPooling struct {
	WordEmbeddingDimension int  `json:"word_embedding_dimension"`
	ModeCLSToken           bool `json:"pooling_mode_cls_token"`
	ModeMeanTokens         bool `json:"pooling_mode_mean_tokens"`
	ModeMaxTokens          bool `json:"pooling_mode_max_tokens"`
	ModeLastToken          bool `json:"pooling_mode_lasttoken"`
}

// Mode is the pooling the config picks: cls, max, last or mean.
func (p *HFPooling) Mode() string {
	switch {
	case p.ModeCLSToken:
		return "cls"
	case p.ModeMaxTokens:
		return "max"
	case p.ModeLastToken:
		return "last"
	}
	return "mean"
}

// isHFExport reports whether dir holds a Hugging Face export's configs.
func isHFExport(dir string) bool {
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// readHFExport reads the export's JSON files.
func readHFExport(dir string) (*HFExport, error) {
	hf := &HFExport{TokenizerPath: filepath.Join(dir, "tokenizer.json")}
	if err := readJSON(filepath.Join(dir, "config.json"), &hf.Config, true); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		into *map[string]any
	}{{"tokenizer_config.json", &hf.TokenizerConfig}, {"special_tokens_map.json", &hf.SpecialTokens}} {
		if err := readJSON(filepath.Join(dir, f.name), f.into, false); err != nil {
			return nil, err
		}
	}
	var pool HFPooling
	if err := readJSON(filepath.Join(dir, "1_Pooling", "config.json"), &pool, false); err != nil {
		return nil, err
	}
	if pool != (HFPooling{}) {
		hf.Pooling = &pool
	}
	trunc, err := tokenizerTruncation(hf.TokenizerPath)
	if err != nil {
		return nil, err
	}
	hf.MaxLength = hf.maxLength(trunc)
	return hf, nil
}

// readJSON decodes path into v; a missing optional file leaves v alone.
func readJSON(path string, v any, required bool) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// tokenizerTruncation is tokenizer.json's truncation.max_length (0 when
// the tokenizer does not truncate).
func tokenizerTruncation(path string) (int, error) {
	var tok struct {
		Truncation *struct {
			MaxLength int `json:"max_length"`
		} `json:"truncation"`
	}
	if err := readJSON(path, &tok, true); err != nil {
		return 0, err
	}
	if tok.Truncation == nil {
		return 0, nil
	}
	return tok.Truncation.MaxLength, nil
}

// positionOffset is how many position ids a model type spends before the
// first token: RoBERTa and its descendants number positions from
// pad_token_id + 1, so 514 position embeddings hold 512 tokens.
func (c HFConfig) positionOffset() int {
	switch c.ModelType {
	case "roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer", "mpnet", "data2vec-text", "ibert":
		if c.PadTokenID != nil && *c.PadTokenID >= 0 {
			return *c.PadTokenID + 1
		}
	}
	return 0
}

// maxLength is the least of the limits the export states.
func (hf *HFExport) maxLength(truncation int) int {
	limit := 0
	take := func(n int) {
		if n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	// Tokenizers without a limit of their own store 1e30 (int(1e30) in
	// Python): no limit, not a number to clamp to.
	if v, ok := hf.TokenizerConfig["model_max_length"].(float64); ok && v > 0 && v < 1e9 {
		take(int(v))
	}
	take(truncation)
	if n := hf.Config.MaxPositionEmbeddings; n > 0 {
		take(n - hf.Config.positionOffset())
	}
	return limit
}

// task is the task config.json's architectures and the model's outputs
// say: a sequence or token classification head, or an encoder whose
// hidden states (or pooled sentence_embedding) are the features.
func (hf *HFExport) task(outputs []TensorSpec) (string, error) {
	hasOutput := func(name string) bool {
		return slices.ContainsFunc(outputs, func(s TensorSpec) bool { return s.Name == name })
	}
	for _, a := range hf.Config.Architectures {
		switch {
		case strings.HasSuffix(a, "ForSequenceClassification"):
			return TaskTextClassification, nil
		case strings.HasSuffix(a, "ForTokenClassification"):
			return TaskTokenClassification, nil
		}
	}
	if hasOutput("sentence_embedding") || hasOutput("last_hidden_state") || hasOutput("token_embeddings") {
		return TaskFeatureExtraction, nil
	}
	for _, a := range hf.Config.Architectures {
		if strings.HasSuffix(a, "Model") {
			return TaskFeatureExtraction, nil
		}
	}
	return "", fmt.Errorf("config.json architectures %v name no task batchinfer serves (…ForSequenceClassification, …ForTokenClassification, or an encoder such as BertModel): set task in manifest.json", hf.Config.Architectures)
}

// labels are id2label's names ordered by id; ids must be 0..n-1.
func (hf *HFExport) labels() ([]string, error) {
	if len(hf.Config.ID2Label) == 0 {
		return nil, nil
	}
	out := make([]string, len(hf.Config.ID2Label))
	seen := make([]bool, len(out))
	for k, v := range hf.Config.ID2Label {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 || id >= len(out) || seen[id] {
			return nil, fmt.Errorf("config.json id2label: ids must be 0..%d, got %q", len(out)-1, k)
		}
		out[id], seen[id] = v, true
	}
	return out, nil
}

// activation is how a classification head's logits become scores.
func (hf *HFExport) activation() string {
	if hf.Config.ProblemType == "multi_label_classification" {
		return "sigmoid"
	}
	return "softmax"
}

// applyHF fills what a Hugging Face export says into a derived manifest,
// where the folder's manifest.json left it unset.
func applyHF(man *Manifest, hf *HFExport, outputs []TensorSpec) error {
	if man.Task == "" {
		task, err := hf.task(outputs)
		if err != nil {
			return err
		}
		man.Task = task
	}
	if len(man.Labels) == 0 {
		labels, err := hf.labels()
		if err != nil {
			return err
		}
		man.Labels = labels
	}
	if man.Activation == "" && man.Task == TaskTextClassification {
		man.Activation = hf.activation()
	}
	if man.Pooling == "" && hf.Pooling != nil && man.Task == TaskFeatureExtraction {
		man.Pooling = hf.Pooling.Mode()
	}
	switch {
	case man.MaxLength == 0:
		man.MaxLength = hf.MaxLength
	case hf.MaxLength > 0 && man.MaxLength > hf.MaxLength:
		return fmt.Errorf("manifest max_length %d is over the %d tokens the export allows (tokenizer_config, tokenizer.json truncation, position embeddings)", man.MaxLength, hf.MaxLength)
	}
	return nil
}
