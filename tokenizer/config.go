package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

type fileConfig struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Truncation    *struct {
		MaxLength int `json:"max_length"`
	} `json:"truncation"`
	Padding *struct {
		PadID int `json:"pad_id"`
	} `json:"padding"`
}

type tokenizerConfig struct {
	ModelMaxLength          *float64        `json:"model_max_length"`
	TokenizerClass          string          `json:"tokenizer_class"`
	RemoveSpace             bool            `json:"remove_space"`
	DoLowercaseRemoveAccent bool            `json:"do_lowercase_and_remove_accent"`
	PadToken                json.RawMessage `json:"pad_token"`
	EOSToken                json.RawMessage `json:"eos_token"`
	AdditionalSpecialTokens []any           `json:"additional_special_tokens"`
	CleanUpSpaces           *bool           `json:"clean_up_tokenization_spaces"`
}

// New builds a tokenizer from the bytes of tokenizer.json and of
// tokenizer_config.json (nil when there is none).
func New(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	var f fileConfig
	if err := json.Unmarshal(tokenizerJSON, &f); err != nil {
		return nil, fmt.Errorf("reading tokenizer.json: %w", err)
	}
	var c tokenizerConfig
	if len(configJSON) > 0 {
		if err := json.Unmarshal(configJSON, &c); err != nil {
			return nil, fmt.Errorf("reading tokenizer_config.json: %w", err)
		}
	}
	t := &Tokenizer{added: addedTokens{byText: map[string]*addedToken{}}, special: map[string]bool{}, rawTrie: &trie{}, normTrie: &trie{},
		removeSpace: c.RemoveSpace, lowerAccent: c.DoLowercaseRemoveAccent}
	var err error
	if t.normalizer, err = newNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.pre, err = newPreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if f.Model == nil {
		return nil, fmt.Errorf("tokenizer.json has no model")
	}
	if t.model, err = newModel(f.Model); err != nil {
		return nil, err
	}
	if t.post, err = newPostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	t.decoder, t.decoderErr = newDecoder(f.Decoder, c.CleanUpSpaces)
	t.addTokens(f.AddedTokens)
	for _, s := range c.AdditionalSpecialTokens {
		if str, ok := s.(string); ok {
			t.special[str] = true
		}
	}
	t.info = t.describe(f, c)
	t.chunked = t.separable(f, fuses(t.model))
	return t, nil
}

// addTokens registers the added tokens as transformers.js does: in the
// vocabulary, by content, and by normalized content when they are normalized.
func (t *Tokenizer) addTokens(list []addedToken) {
	for i := range list {
		a := &list[i]
		if id, ok := t.model.lookup(a.Content); ok && id != a.ID {
			t.checkAdded = true
		}
		t.model.setToken(a.Content, a.ID)
		if a.Special {
			t.special[a.Content] = true
		}
		t.added.set(a.Content, a)
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		if normalized && t.normalizer != nil {
			n := string(t.normalizer.normalize(newAText(a.Content)).r)
			t.added.set(n, a)
			t.normTrie.add(n)
			t.checkAdded = true
		} else {
			t.rawTrie.add(a.Content)
		}
	}
}

func (t *Tokenizer) describe(f fileConfig, c tokenizerConfig) Info {
	in := Info{Class: strings.TrimSuffix(c.TokenizerClass, "Fast"), VocabSize: t.model.vocabSize()}
	in.ReturnsTypeIDs = typeIDClasses[in.Class]
	if c.ModelMaxLength != nil && *c.ModelMaxLength > 0 && *c.ModelMaxLength < math.MaxInt32 {
		in.ModelMaxLength = int(*c.ModelMaxLength)
	}
	if f.Truncation != nil {
		in.TruncationMaxLength = f.Truncation.MaxLength
	}
	if f.Padding != nil {
		in.PadID = f.Padding.PadID
	}
	for _, raw := range []json.RawMessage{c.PadToken, c.EOSToken} {
		if s := tokenContent(raw); s != "" {
			if id, ok := t.TokenID(s); ok {
				in.PadID = id
			}
			break
		}
	}
	if t.post != nil {
		toks, _ := t.post.process(nil, nil, false, true)
		in.AddsSpecialTokens = len(toks) > 0
	}
	return in
}

func fuses(m model) bool {
	switch m := m.(type) {
	case *bpe:
		return m.fuse
	case *unigram:
		return true
	}
	return false
}

// tokenContent reads a special token of tokenizer_config.json: a string or
// an {"__type": "AddedToken", "content": ...} object.
func tokenContent(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}
