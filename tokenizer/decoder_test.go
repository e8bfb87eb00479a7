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
