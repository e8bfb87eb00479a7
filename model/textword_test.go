package model

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

// The simple strategy's span rules, including E- and S- tags the test
// models' labels do not have.
func TestGroupEntitiesTags(t *testing.T) {
	ents := func(tags ...string) []Entity {
		out := make([]Entity, len(tags))
		for i, tg := range tags {
			out[i] = Entity{Entity: tg, Score: float64(i + 1), Index: i, Start: i * 2, End: i*2 + 1}
		}
		return out
	}
	spell := func(pos []int) string { return string(rune('a'+pos[0])) + string(rune('a'+pos[len(pos)-1])) }
	for _, c := range []struct {
		tags []string
		want []string // group:word
	}{
		{[]string{"B-PER", "I-PER", "B-LOC"}, []string{"PER:ab", "LOC:cc"}},
		{[]string{"I-PER", "I-PER", "I-ORG"}, []string{"PER:ab", "ORG:cc"}},
		{[]string{"B-PER", "E-PER", "I-PER"}, []string{"PER:ab", "PER:cc"}},
		{[]string{"S-PER", "I-PER"}, []string{"PER:aa", "PER:bb"}},
		{[]string{"B-PER", "B-PER"}, []string{"PER:aa", "PER:bb"}},
		{[]string{"MISC", "MISC"}, []string{"MISC:ab"}},
	} {
		groups := groupEntities(ents(c.tags...), spell)
		var got []string
		for _, g := range groups {
			got = append(got, g.Group+":"+g.Word)
		}
		if len(got) != len(c.want) {
			t.Errorf("%v: groups %v, want %v", c.tags, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%v: groups %v, want %v", c.tags, got, c.want)
			}
		}
		if g := groups[0]; g.Start != 0 || g.Score <= 0 {
			t.Errorf("%v: first group %+v", c.tags, g)
		}
	}
}
