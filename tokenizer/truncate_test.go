package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// TestEarlyStopIsTruncation: a long text stops going through the model
// once the kept tokens are known; what it gives must be the full encoding
// cut at the limit, fused unknown tokens (Unigram, Llama 2) included.
func TestEarlyStopIsTruncation(t *testing.T) {
	root := modelsRoot(t)
	long := strings.Repeat(strings.Join(corpus, " ")+" 😀😀😀 \U0001F9FF\U0001FAE8 ", 4)
	// sparse: a chunk's nominal end falls inside a word, and few tokens per chunk
	sparse := strings.Repeat(strings.Repeat(" ", 1000)+"Antidisestablishmentarianism", 30)
	inputs := [][2]string{{sparse, ""}, {"short", sparse}, {long, ""}, {long, long}, {"short", long}, {long, "short"}, {"😀😀😀😀😀 x", ""}, {"a 😀 😀 😀 😀 😀 b 🧿 🫨 c", ""}}
	chunked := map[string]bool{"minilm": true, "bert-cased": true, "bert-keep-accents": true}
	for _, dir := range []string{"minilm", "qwen3", "llama2", "unigram", "unigram-words", "bert-parts", "bert-cased", "bert-keep-accents", "metaspace"} {
		tok := loadTok(t, root, dir)
		if tok.chunked != chunked[dir] {
			t.Errorf("%s: chunked = %v", dir, tok.chunked)
		}
		for _, in := range inputs {
			full, err := tok.Encode(in[0], in[1], Options{MaxLength: -1})
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{1, 2, 3, 16, 100, 511} {
				got, err := tok.Encode(in[0], in[1], Options{MaxLength: limit})
				if err != nil {
					t.Fatal(err)
				}
				n := min(limit, len(full.IDs))
				want := Encoding{IDs: full.IDs[:n], Tokens: full.Tokens[:n], Offsets: full.Offsets[:n], TypeIDs: full.TypeIDs[:n]}
				if !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Tokens, want.Tokens) ||
					!slices.Equal(got.Offsets, want.Offsets) || !slices.Equal(got.TypeIDs, want.TypeIDs) {
					t.Errorf("%s, limit %d, %q|%q: got %q, want %q", dir, limit, short(in[0]), short(in[1]), got.Tokens, want.Tokens)
				}
				if got.Truncated != (len(full.IDs) > limit) {
					t.Errorf("%s, limit %d: truncated %v with %d tokens in all", dir, limit, got.Truncated, len(full.IDs))
				}
			}
		}
	}
}
