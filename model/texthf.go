package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/batchinfer/batchinfer/tokenizer"
)

// A Hugging Face / Optimum export needs no manifest: its config.json says
// the task and labels, its tokenizer files the maximum length, a
// sentence-transformers pooling config the pooling.

// hfConfig is the part of config.json the text codec reads.
type hfConfig struct {
	Architectures         []string          `json:"architectures"`
	ModelType             string            `json:"model_type"`
	ID2Label              map[string]string `json:"id2label"`
	ProblemType           string            `json:"problem_type"`
	MaxPositionEmbeddings int               `json:"max_position_embeddings"`
	PadTokenID            *int              `json:"pad_token_id"`
}

// hfONNXFile is the export's ONNX file relative to dir: model.onnx, or
// onnx/model.onnx as Hugging Face repos and transformers.js lay it out.
func hfONNXFile(dir string) (string, error) {
	for _, f := range []string{"model.onnx", filepath.Join("onnx", "model.onnx")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s has neither model.onnx nor onnx/model.onnx", dir)
}

// hfTextSettings derives a text model's settings from the export in dir;
// outputs are the ONNX file's outputs (an output named sentence_embedding
// makes a feature extractor that is already pooled).
func hfTextSettings(dir string, info tokenizer.Info, outputs []TensorSpec) (TextSettings, error) {
	var cfg hfConfig
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return TextSettings{}, fmt.Errorf("a Hugging Face export needs config.json: %w", err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return TextSettings{}, fmt.Errorf("config.json: %w", err)
	}
	set := TextSettings{Task: hfTask(cfg, outputs), Normalize: true, MaxLength: hfMaxLength(cfg, info)}
	if set.Labels, err = hfLabels(cfg.ID2Label); err != nil {
		return TextSettings{}, err
	}
	set.MultiLabel = cfg.ProblemType == "multi_label_classification"
	switch set.Task {
	case TaskFeatureExtraction:
		if hasOutput(outputs, "sentence_embedding") {
			set.Output, set.Pooled = "sentence_embedding", true
		} else {
			set.Output = firstOutput(outputs, "last_hidden_state", "token_embeddings")
		}
		if set.Pooling, err = hfPooling(dir); err != nil {
			return TextSettings{}, err
		}
	default:
		set.Output = firstOutput(outputs, "logits")
	}
	return set, nil
}

func hfTask(cfg hfConfig, outputs []TensorSpec) string {
	for _, a := range cfg.Architectures {
		switch {
		case strings.HasSuffix(a, "ForSequenceClassification"):
			return TaskTextClassification
		case strings.HasSuffix(a, "ForTokenClassification"):
			return TaskTokenClassification
		}
	}
	return TaskFeatureExtraction // a bare encoder, or an output already pooled
}

// hfMaxLength is the tokens the model can take: tokenizer_config.json's
// model_max_length, never above tokenizer.json's own truncation or the
// positions the model has (RoBERTa-style models number positions from
// pad_token_id + 1, so they lose that many).
func hfMaxLength(cfg hfConfig, info tokenizer.Info) int {
	limit := 0
	lower := func(n int) {
		if n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	lower(info.ModelMaxLength)
	lower(info.TruncationMaxLength)
	if cfg.MaxPositionEmbeddings > 0 {
		lower(cfg.MaxPositionEmbeddings - positionOffset(cfg))
	}
	return limit
}

func positionOffset(cfg hfConfig) int {
	switch cfg.ModelType {
	case "roberta", "xlm-roberta", "camembert", "longformer", "mpnet", "bart", "data2vec-text", "ibert", "xlm-roberta-xl":
		if cfg.PadTokenID != nil {
			return *cfg.PadTokenID + 1
		}
		return 2
	}
	return 0
}

func hfLabels(id2label map[string]string) ([]string, error) {
	if len(id2label) == 0 {
		return nil, nil
	}
	labels := make([]string, len(id2label))
	for k, v := range id2label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(labels) {
			return nil, fmt.Errorf("config.json id2label key %q is not an id in 0..%d", k, len(labels)-1)
		}
		labels[i] = v
	}
	return labels, nil
}

// hfPooling reads a sentence-transformers 1_Pooling/config.json; mean when
// there is none.
func hfPooling(dir string) (Pooling, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "1_Pooling", "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return PoolMean, nil
	}
	if err != nil {
		return "", err
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("1_Pooling/config.json: %w", err)
	}
	for key, p := range map[string]Pooling{"pooling_mode_cls_token": PoolCLS, "pooling_mode_max_tokens": PoolMax, "pooling_mode_lasttoken": PoolLast} {
		if c[key] == true {
			return p, nil
		}
	}
	return PoolMean, nil
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

// newHFTextCodec is the codec of the Hugging Face export in dir, whose ONNX
// file declares inputs and outputs; edit (may be nil) overrides the derived
// settings, as a manifest beside the export does.
func newHFTextCodec(dir string, inputs, outputs []TensorSpec, edit func(*TextSettings)) (*textCodec, error) {
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, err
	}
	set, err := hfTextSettings(dir, tok.Info(), outputs)
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(&set)
	}
	return newTextCodecWith(dir, tok, set, inputs, outputs)
}
