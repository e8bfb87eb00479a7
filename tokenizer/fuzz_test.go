package tokenizer

import (
	"testing"
	"unicode/utf8"
)

// FuzzEncode: any bytes either fail as invalid UTF-8 or encode into
// parallel slices whose offsets lie inside the text.
//
//	go test -run '^$' -fuzz FuzzEncode -fuzztime 30s ./tokenizer/
func FuzzEncode(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s), []byte("pair"))
	}
	f.Add([]byte("\xff\xfe"), []byte(nil))
	toks := []*Tokenizer{realTokenizer(f, "minilm"), realTokenizer(f, "llama2")}
	f.Fuzz(func(t *testing.T, text, pair []byte) {
		for _, tok := range toks {
			e, err := tok.EncodeBytes(text, pair, Options{MaxLength: 64})
			if err != nil {
				if utf8.Valid(text) && utf8.Valid(pair) {
					t.Fatalf("valid text refused: %v", err)
				}
				continue
			}
			n := len(e.IDs)
			if len(e.AttentionMask) != n || len(e.TypeIDs) != n || len(e.Tokens) != n || len(e.Offsets) != n || n > 64 {
				t.Fatalf("slices of different lengths or over the limit: %d ids", n)
			}
			for i, o := range e.Offsets {
				src := text
				if e.SequenceIDs[i] == 1 {
					src = pair
				}
				if o[0] < 0 || o[0] > o[1] || o[1] > utf8.RuneCount(src) {
					t.Fatalf("token %d %q: offsets %v outside the text", i, e.Tokens[i], o)
				}
			}
		}
	})
}
