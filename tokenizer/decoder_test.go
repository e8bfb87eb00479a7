package tokenizer

import "testing"

// TextDecoder's replacement of ill-formed UTF-8: one U+FFFD per maximal
// subpart (what transformers.js shows for a group of byte-fallback tokens
// that splits a character).
func TestDecodeUTF8LikeTextDecoder(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte("héllo"), "héllo"},
		{[]byte{0xF0, 0x9F}, "\uFFFD"},                   // a truncated 4-byte sequence
		{[]byte{0x9F, 0x91}, "\uFFFD\uFFFD"},             // lone continuation bytes
		{[]byte{0xE0, 0x80, 0x41}, "\uFFFD\uFFFDA"},      // E0 needs A0..BF next
		{[]byte{0xF0, 0x9F, 0x91, 0x8D}, "👍"},            // complete
		{[]byte{0xF0, 0x9F, 0x91, 0x41}, "\uFFFDA"},      // cut short by an ASCII byte
		{[]byte{0xC0, 0xAF}, "\uFFFD\uFFFD"},             // overlong lead is never valid
		{[]byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"}, // a surrogate
	} {
		if got := decodeUTF8(c.in); got != c.want {
			t.Errorf("decodeUTF8(% x) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Each real tokenizer's decoder spells tokens as transformers.js's
// token-classification pipeline shows them (see Decoder).
func TestDecoderSpellsTokens(t *testing.T) {
	root := modelsRoot(t)
	for _, tc := range []struct {
		dir    string
		tokens []string
		want   string
	}{
		{"minilm", []string{"##ing"}, "##ing"},                  // WordPiece: a lone suffix keeps its prefix
		{"minilm", []string{"play", "##ing", "."}, "playing."},  // joined, cleaned up before punctuation
		{"qwen3", []string{"Ġworld"}, " world"},                 // byte-level: Ġ is a space
		{"qwen3", []string{"ðŁ", "ĳ", "į"}, "👍"},                // one character split over byte tokens
		{"qwen3", []string{"ðŁ"}, "\uFFFD"},                     // a cut character, as TextDecoder shows it
		{"llama2", []string{"▁Paris"}, "Paris"},                 // Metaspace, its first space stripped
		{"llama2", []string{"<0xE2>", "<0x82>", "<0xAC>"}, "€"}, // byte fallback
	} {
		dec, err := loadTok(t, root, tc.dir).Decoder()
		if err != nil {
			t.Fatal(err)
		}
		if got := dec.Tokens(tc.tokens); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.dir, tc.tokens, got, tc.want)
		}
	}
}
