package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// span is a half-open range of code points in the original text.
type span struct{ start, end int32 }

// atext is text with, for every code point, the code points of the original
// text it came from. Normalizers and pre-tokenizers keep it up to date so a
// token's offsets are the union of its code points' spans, whatever
// lowercasing, decomposition or byte mapping happened on the way.
type atext struct {
	r []rune
	a []span
}

func newAText(s string) atext {
	n := utf8.RuneCountInString(s)
	t := atext{r: make([]rune, 0, n), a: make([]span, 0, n)}
	i := int32(0)
	for _, c := range s {
		t.r = append(t.r, c)
		t.a = append(t.a, span{i, i + 1})
		i++
	}
	return t
}

func (t atext) slice(i, j int) atext { return atext{r: t.r[i:j:j], a: t.a[i:j:j]} }

func (t atext) String() string { return string(t.r) }

// cover is the union of the spans of t.r[i:j].
func (t atext) cover(i, j int) span {
	if i >= j {
		if i < len(t.a) {
			return span{t.a[i].start, t.a[i].start}
		}
		if len(t.a) > 0 {
			e := t.a[len(t.a)-1].end
			return span{e, e}
		}
		return span{}
	}
	s := t.a[i]
	for k := i + 1; k < j; k++ {
		if t.a[k].start < s.start {
			s.start = t.a[k].start
		}
		if t.a[k].end > s.end {
			s.end = t.a[k].end
		}
	}
	return s
}

// builder appends code points with their spans.
type builder struct{ t atext }

func newBuilder(n int) builder {
	return builder{atext{r: make([]rune, 0, n), a: make([]span, 0, n)}}
}

func (b *builder) add(r rune, a span) {
	b.t.r = append(b.t.r, r)
	b.t.a = append(b.t.a, a)
}

func (b *builder) addAll(t atext) {
	b.t.r = append(b.t.r, t.r...)
	b.t.a = append(b.t.a, t.a...)
}

// isJSSpace is JavaScript's \s (and what String.prototype.trim removes): it
// includes U+FEFF and leaves out U+0085, unlike Unicode's White_Space.
func isJSSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A,
		r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000, r == 0xFEFF:
		return true
	}
	return false
}

// isWhiteSpace is Unicode's White_Space property (the tokenizers' rewritten \s).
func isWhiteSpace(r rune) bool { return unicode.Is(unicode.White_Space, r) }

// trimJS is String.prototype.trimStart/trimEnd on an aligned text.
func trimJS(t atext, left, right bool) atext {
	i, j := 0, len(t.r)
	if left {
		for i < j && isJSSpace(t.r[i]) {
			i++
		}
	}
	if right {
		for j > i && isJSSpace(t.r[j-1]) {
			j--
		}
	}
	return t.slice(i, j)
}

// isBertPunct is the pre-tokenizers' PUNCTUATION_REGEX: \p{P} plus every
// ASCII punctuation and symbol character.
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return r >= 0x21 && r <= 0x2F || r >= 0x3A && r <= 0x40 || r >= 0x5B && r <= 0x60 || r >= 0x7B && r <= 0x7E
	}
	return unicode.IsPunct(r)
}

// lowerJS is String.prototype.toLowerCase: the full lowercase mapping, which
// differs from unicode.ToLower in two places: U+0130 becomes two code points
// and a capital sigma at the end of a word becomes a final sigma.
func lowerJS(t atext) atext {
	ascii := true
	for _, r := range t.r {
		if r >= 0x80 {
			ascii = false
			break
		}
	}
	var b builder
	b.t.r = make([]rune, 0, len(t.r))
	b.t.a = make([]span, 0, len(t.r))
	if ascii {
		for i, r := range t.r {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.add(r, t.a[i])
		}
		return b.t
	}
	for i, r := range t.r {
		switch {
		case r == 0x130:
			b.add('i', t.a[i])
			b.add(0x307, t.a[i])
		case r == 0x3A3:
			if finalSigma(t.r, i) {
				b.add(0x3C2, t.a[i])
			} else {
				b.add(0x3C3, t.a[i])
			}
		default:
			b.add(unicode.ToLower(r), t.a[i])
		}
	}
	return b.t
}

// finalSigma is Unicode's Final_Sigma condition: a cased letter before
// (skipping case-ignorable characters) and none after.
func finalSigma(r []rune, i int) bool {
	before := false
	for k := i - 1; k >= 0; k-- {
		if caseIgnorable(r[k]) {
			continue
		}
		before = cased(r[k])
		break
	}
	if !before {
		return false
	}
	for k := i + 1; k < len(r); k++ {
		if caseIgnorable(r[k]) {
			continue
		}
		return !cased(r[k])
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xAD, 0xB7, 0x2018, 0x2019, 0x2024, 0x2027:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
