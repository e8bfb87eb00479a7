package tokenizer

import (
	"encoding/json"
	"strings"
)

// A long section is normalized, pre-tokenized and modelled chunk by chunk
// when the result is provably the same as in one piece, so that truncation
// can stop early instead of going through a whole document for 512 tokens.
// That holds when every step works within whitespace-separated words: the
// normalizers below change code points (or canonical segments, which never
// span an ASCII space) and keep spaces; the first pre-tokenizer splits at
// whitespace, and later ones work within its pieces; the model encodes word
// by word without fusing unknown tokens across words; and no normalized
// added token holds a space. Chunks are cut at an ASCII space.
const minChunk = 1024

var (
	separableNormalizers = map[string]bool{"BertNormalizer": true, "NFC": true, "NFD": true, "NFKC": true,
		"NFKD": true, "Lowercase": true, "StripAccents": true}
	whitespaceSplitters = map[string]bool{"BertPreTokenizer": true, "Whitespace": true, "WhitespaceSplit": true}
)

func separableNormalizer(raw json.RawMessage) bool {
	if isNull(raw) {
		return true
	}
	var c normalizerConfig
	if json.Unmarshal(raw, &c) != nil {
		return false
	}
	if c.Type == "Sequence" {
		for _, n := range c.Normalizers {
			if !separableNormalizer(n) {
				return false
			}
		}
		return true
	}
	return separableNormalizers[c.Type]
}

func splitsAtWhitespace(raw json.RawMessage) bool {
	var c preTokenizerConfig
	if isNull(raw) || json.Unmarshal(raw, &c) != nil {
		return false
	}
	if c.Type == "Sequence" {
		return len(c.Pretokenizers) > 0 && splitsAtWhitespace(c.Pretokenizers[0])
	}
	return whitespaceSplitters[c.Type]
}

// separable decides whether sections may be encoded chunk by chunk.
func (t *Tokenizer) separable(f fileConfig, fuses bool) bool {
	if t.removeSpace || fuses || !separableNormalizer(f.Normalizer) || !splitsAtWhitespace(f.PreTokenizer) {
		return false
	}
	for s, a := range t.added.byText {
		if s != a.Content && strings.ContainsFunc(s, isJSSpace) {
			return false
		}
	}
	return true
}

// chunks cuts a section at ASCII spaces into pieces of at least size code
// points (the last may be shorter).
func chunks(sec atext, size int) []atext {
	var out []atext
	for start := 0; start < len(sec.r); {
		cut := start + size
		for cut < len(sec.r) && sec.r[cut] != ' ' {
			cut++
		}
		cut = min(cut, len(sec.r))
		out = append(out, sec.slice(start, cut))
		start = cut
	}
	return out
}
