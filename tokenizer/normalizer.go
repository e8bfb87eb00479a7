package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a text section before pre-tokenization.
type normalizer interface {
	normalize(atext) atext
}

type normalizerFunc func(atext) atext

func (f normalizerFunc) normalize(t atext) atext { return f(t) }

type normalizerSeq []normalizer

func (s normalizerSeq) normalize(t atext) atext {
	for _, n := range s {
		t = n.normalize(t)
	}
	return t
}

type normalizerConfig struct {
	Type               string            `json:"type"`
	Normalizers        []json.RawMessage `json:"normalizers"`
	CleanText          *bool             `json:"clean_text"`
	HandleChineseChars *bool             `json:"handle_chinese_chars"`
	StripAccents       *bool             `json:"strip_accents"`
	Lowercase          *bool             `json:"lowercase"`
	Pattern            patternConfig     `json:"pattern"`
	Content            string            `json:"content"`
	Prepend            string            `json:"prepend"`
	StripLeft          bool              `json:"strip_left"`
	StripRight         bool              `json:"strip_right"`
}

func newNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c normalizerConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("reading a normalizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		seq, err := readSequence(c.Normalizers, newNormalizer)
		if err != nil {
			return nil, err
		}
		return normalizerSeq(seq), nil
	case "BertNormalizer":
		return bertNormalizer{
			clean: c.CleanText != nil && *c.CleanText, chinese: c.HandleChineseChars != nil && *c.HandleChineseChars,
			lower: c.Lowercase != nil && *c.Lowercase, strip: c.StripAccents,
		}, nil
	case "NFC":
		return unicodeForm(norm.NFC), nil
	case "NFD":
		return unicodeForm(norm.NFD), nil
	case "NFKC":
		return unicodeForm(norm.NFKC), nil
	case "NFKD":
		return unicodeForm(norm.NFKD), nil
	case "Lowercase":
		return normalizerFunc(lowerJS), nil
	case "StripAccents":
		return normalizerFunc(func(t atext) atext { return dropRunes(t, isMark) }), nil
	case "Strip":
		return normalizerFunc(func(t atext) atext { return trimJS(t, c.StripLeft, c.StripRight) }), nil
	case "Prepend":
		return prependNormalizer(c.Prepend), nil
	case "Replace":
		p, err := compilePattern(c.Pattern, true)
		if err != nil {
			return nil, fmt.Errorf("Replace normalizer: %w", err)
		}
		return replacer{p, []rune(c.Content)}, nil
	case "Precompiled":
		return normalizerFunc(precompiled), nil
	}
	return nil, fmt.Errorf("unsupported normalizer %q", c.Type)
}

// readSequence reads the parts of a Sequence (normalizers, pre-tokenizers,
// post-processors) with read, leaving out the null ones.
func readSequence[T any](parts []json.RawMessage, read func(json.RawMessage) (T, error)) ([]T, error) {
	var seq []T
	for _, raw := range parts {
		p, err := read(raw)
		if err != nil {
			return nil, err
		}
		if any(p) != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) }

func dropRunes(t atext, drop func(rune) bool) atext {
	b := newBuilder(len(t.r))
	for i, r := range t.r {
		if !drop(r) {
			b.add(r, t.a[i])
		}
	}
	return b.t
}

// unicodeForm applies a normalization form.
func unicodeForm(f norm.Form) normalizerFunc {
	return func(t atext) atext { return applyForm(f, t) }
}

// applyForm normalizes segment by segment. Within a segment that changed,
// each output code point takes the span of the input code point its
// decomposition starts at, which is how the Rust library aligns them (a
// composed é takes the e's span; reordered marks keep their positions).
func applyForm(f norm.Form, t atext) atext {
	s := string(t.r)
	if f.IsNormalString(s) {
		return t
	}
	decomp := norm.NFD
	if f == norm.NFKC || f == norm.NFKD {
		decomp = norm.NFKD
	}
	b := newBuilder(len(t.r) + 8)
	var it norm.Iter
	it.InitString(f, s)
	// byte offset in s → code point index in t
	idx := make([]int32, len(s)+1)
	k := int32(0)
	for i := range s {
		for j := i; j < len(s) && (j == i || !utf8.RuneStart(s[j])); j++ {
			idx[j] = k
		}
		k++
	}
	idx[len(s)] = k
	// The iterator may hand out a long decomposition in pieces before it
	// moves past the input code point: gather them until it does.
	var pending []rune
	from := 0
	for !it.Done() {
		if len(pending) == 0 {
			from = int(idx[it.Pos()])
		}
		pending = append(pending, []rune(string(it.Next()))...)
		to := int(idx[it.Pos()])
		if to == from && !it.Done() {
			continue
		}
		alignSegment(&b, decomp, t.slice(from, to), pending)
		pending = pending[:0]
	}
	return b.t
}

func alignSegment(b *builder, decomp norm.Form, in atext, out []rune) {
	if len(in.r) == 0 {
		// an inserted code point (a combining grapheme joiner breaking an
		// overlong run of marks): zero width where it stands
		z := span{}
		if n := len(b.t.a); n > 0 {
			z = span{b.t.a[n-1].end, b.t.a[n-1].end}
		}
		for _, r := range out {
			b.add(r, z)
		}
		return
	}
	if len(out) == len(in.r) {
		for k, r := range out {
			b.add(r, in.a[k])
		}
		return
	}
	// start[i]: where in.r[i]'s decomposition starts in the decomposed segment
	start := make([]int, len(in.r)+1)
	for i, r := range in.r {
		start[i+1] = start[i] + decompLen(decomp, r)
	}
	p, i := 0, 0
	for _, r := range out {
		for i+1 < len(in.r) && start[i+1] <= p {
			i++
		}
		b.add(r, in.a[i])
		p += decompLen(decomp, r)
	}
	if p != start[len(in.r)] {
		// not a decomposition of the same code points: give up on precision
		whole := in.cover(0, len(in.r))
		for k := len(b.t.a) - len(out); k < len(b.t.a); k++ {
			b.t.a[k] = whole
		}
	}
}

func decompLen(f norm.Form, r rune) int {
	if r < 0x80 {
		return 1
	}
	var buf [4]byte
	return utf8.RuneCount(f.Append(nil, buf[:utf8.EncodeRune(buf[:], r)]...))
}

type bertNormalizer struct {
	clean, chinese, lower bool
	strip                 *bool
}

func (n bertNormalizer) normalize(t atext) atext {
	if n.clean {
		t = bertClean(t)
	}
	if n.chinese {
		t = padChinese(t)
	}
	switch {
	case n.lower:
		t = lowerJS(t)
		if n.strip == nil || *n.strip {
			t = stripNonspacing(t)
		}
	case n.strip != nil && *n.strip:
		t = stripNonspacing(t)
	}
	return t
}

func stripNonspacing(t atext) atext {
	return dropRunes(applyForm(norm.NFD, t), func(r rune) bool { return unicode.Is(unicode.Mn, r) })
}

// bertClean drops NUL, U+FFFD and control/format/private-use characters
// (but not tab, newline, carriage return) and turns JavaScript whitespace
// into spaces, as transformers.js does.
func bertClean(t atext) atext {
	b := newBuilder(len(t.r))
	for i, r := range t.r {
		if r == 0 || r == 0xFFFD {
			continue
		}
		if r != '\t' && r != '\n' && r != '\r' && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
			continue
		}
		if isJSSpace(r) {
			r = ' '
		}
		b.add(r, t.a[i])
	}
	return b.t
}

// padChinese puts spaces around CJK ideographs. transformers.js tests UTF-16
// code units, so ideographs outside the BMP (extension B and later) are not
// padded; we do the same.
func padChinese(t atext) atext {
	b := newBuilder(len(t.r) + 8)
	for i, r := range t.r {
		if r <= 0xFFFF && isChinese(r) {
			z := span{t.a[i].start, t.a[i].start}
			b.add(' ', z)
			b.add(r, t.a[i])
			b.add(' ', span{t.a[i].end, t.a[i].end})
			continue
		}
		b.add(r, t.a[i])
	}
	return b.t
}

func isChinese(cp rune) bool {
	return cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0x3400 && cp <= 0x4DBF || cp >= 0x20000 && cp <= 0x2A6DF ||
		cp >= 0x2A700 && cp <= 0x2B73F || cp >= 0x2B740 && cp <= 0x2B81F || cp >= 0x2B820 && cp <= 0x2CEAF ||
		cp >= 0xF900 && cp <= 0xFAFF || cp >= 0x2F800 && cp <= 0x2FA1F
}

type prependNormalizer string

func (p prependNormalizer) normalize(t atext) atext {
	var b builder
	z := span{}
	if len(t.a) > 0 {
		z = t.a[0]
	}
	for _, r := range string(p) {
		b.add(r, z)
	}
	b.addAll(t)
	return b.t
}

// replacer replaces every match of a pattern.
type replacer struct {
	p       *pattern
	content []rune
}

func (rp replacer) normalize(t atext) atext {
	ms := rp.p.findAll(t.r)
	if len(ms) == 0 {
		return t
	}
	var b builder
	prev := 0
	for _, m := range ms {
		b.addAll(t.slice(prev, m[0]))
		// As the Rust library aligns a replacement: a shorter one takes the
		// spans of the match's last code points, a longer one repeats the
		// last span.
		n, k := m[1]-m[0], len(rp.content)
		for i, r := range rp.content {
			j := m[0] + i
			if k <= n {
				j += n - k
			} else if i >= n {
				j = m[1] - 1
			}
			b.add(r, t.a[j])
		}
		prev = m[1]
	}
	b.addAll(t.slice(prev, len(t.r)))
	return b.t
}

// precompiled is transformers.js's approximation of SentencePiece's
// precompiled charsmap: drop some controls, map some spaces, NFKC.
func precompiled(t atext) atext {
	t = dropRunes(t, func(r rune) bool {
		return r >= 1 && r <= 8 || r == 0x0B || r >= 0x0E && r <= 0x1F || r == 0x7F || r == 0x8F || r == 0x9F
	})
	var b builder
	for i, r := range t.r {
		switch {
		case r == 0x09 || r == 0x0A || r == 0x0C || r == 0x0D || r == 0xA0 || r == 0x1680 ||
			r >= 0x2000 && r <= 0x200F || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F ||
			r == 0x2581 || r == 0x3000 || r == 0xFEFF || r == 0xFFFD:
			r = ' '
		}
		b.add(r, t.a[i])
	}
	t = b.t
	// NFKC, but never across U+FF5E (transformers.js splits on it first).
	var out builder
	start := 0
	for i := 0; i <= len(t.r); i++ {
		if i == len(t.r) || t.r[i] == 0xFF5E {
			out.addAll(applyForm(norm.NFKC, t.slice(start, i)))
			if i < len(t.r) {
				out.add(t.r[i], t.a[i])
			}
			start = i + 1
		}
	}
	return out.t
}
