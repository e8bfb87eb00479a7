package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// tokenizerConfig is the part of tokenizer_config.json the text codec
// reads itself (the tokenizer package reads the rest).
type tokenizerConfig struct {
	CleanUpSpaces *bool `json:"clean_up_tokenization_spaces"`
}

func readTokenizerConfig(dir string) (tokenizerConfig, error) {
	var c tokenizerConfig
	raw, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("tokenizer_config.json: %w", err)
	}
	return c, nil
}
