package tokenizer

import (
	"encoding/json"
	"fmt"
)

// token is one model output before post-processing.
type token struct {
	value string
	id    int
	off   span
	seq   int // 0: the text, 1: the pair, -1: added by the post-processor
}

// model turns the words of one section into tokens.
type model interface {
	// encode appends the words' tokens to out; it may stop once out holds
	// stop tokens (0: never) that later words cannot change.
	encode(words []atext, out []token, stop int) []token
	lookup(s string) (int, bool)
	// setToken records an added token's id in the vocabulary, as transformers.js does.
	setToken(s string, id int)
	unkID() int
	vocabSize() int
}

type modelConfig struct {
	Type                    string          `json:"type"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	UnkID                   *int            `json:"unk_id"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	ContinuingSubwordSuffix *string         `json:"continuing_subword_suffix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	MaxInputCharsPerWord    *int            `json:"max_input_chars_per_word"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
}

func newModel(raw json.RawMessage) (model, error) {
	var c modelConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("reading the model: %w", err)
	}
	kind := c.Type
	if kind == "" {
		// transformers.js guesses an untyped model from its fields.
		switch {
		case len(c.Vocab) > 0 && c.Vocab[0] == '[':
			kind = "Unigram"
		case c.ContinuingSubwordPrefix != nil && c.UnkToken != nil && len(c.Merges) > 0:
			kind = "BPE"
		case c.ContinuingSubwordPrefix != nil && c.UnkToken != nil:
			kind = "WordPiece"
		}
	}
	switch kind {
	case "WordPiece":
		return newWordPiece(c)
	case "BPE":
		return newBPE(c)
	case "Unigram":
		return newUnigram(c)
	}
	return nil, fmt.Errorf("unsupported model type %q", c.Type)
}

// vocab is a token ↔ id table shared by the models.
type vocab struct {
	ids    map[string]int
	tokens []string
	unk    int
	unkTok string
}

func newVocab(raw json.RawMessage, unk *string) (vocab, error) {
	v := vocab{unk: -1}
	if err := json.Unmarshal(raw, &v.ids); err != nil {
		return v, fmt.Errorf("reading the vocabulary: %w", err)
	}
	maxID := -1
	for _, id := range v.ids {
		maxID = max(maxID, id)
	}
	v.tokens = make([]string, maxID+1)
	for k, id := range v.ids {
		v.tokens[id] = k
	}
	if unk != nil {
		v.unkTok = *unk
		if id, ok := v.ids[*unk]; ok {
			v.unk = id
		}
	}
	return v, nil
}

func (v *vocab) lookup(s string) (int, bool) { id, ok := v.ids[s]; return id, ok }
func (v *vocab) unkID() int                  { return v.unk }
func (v *vocab) vocabSize() int              { return len(v.tokens) }

func (v *vocab) setToken(s string, id int) {
	v.ids[s] = id
	for id >= len(v.tokens) {
		v.tokens = append(v.tokens, "")
	}
	v.tokens[id] = s
}

// encodeFused runs word over the words, fusing runs of unknown tokens as
// it goes (so that a stop is decided on the fused count) and stopping once
// out holds stop tokens. Later unknown tokens could only fuse into the
// last one, which the caller's stop (its limit + 1) leaves beyond the limit.
func encodeFused(words []atext, out []token, stop int, v *vocab, fuse bool, word func(atext, []token) []token) []token {
	mark := len(out)
	for _, w := range words {
		before := len(out)
		out = word(w, out)
		if fuse && len(out) > before {
			from := max(mark, before-1)
			out = append(out[:from], fuseUnk(out[from:], v)...)
		}
		if stop > 0 && len(out) >= stop {
			break
		}
	}
	return out
}

// fuseUnk merges runs of unknown tokens into the first, as transformers.js
// does: a first token that is not in the vocabulary (a unigram model's
// unknown character) absorbs the text of the others; the run's offsets
// become one span.
func fuseUnk(toks []token, v *vocab) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.id == v.unk {
			_, known := v.ids[t.value]
			for i+1 < len(toks) && toks[i+1].id == v.unk {
				i++
				if !known {
					t.value += toks[i].value
				}
				t.off.end = max(t.off.end, toks[i].off.end)
			}
		}
		out = append(out, t)
	}
	return out
}
