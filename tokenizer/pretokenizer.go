package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// preTokenizer splits a normalized section into the words the model sees.
// section is the index of the section between added tokens (Metaspace's
// prepend_scheme "first" needs it).
type preTokenizer interface {
	split(t atext, section int) []atext
}

type preTokenizerConfig struct {
	Type           string            `json:"type"`
	Pretokenizers  []json.RawMessage `json:"pretokenizers"`
	AddPrefixSpace bool              `json:"add_prefix_space"`
	UseRegex       *bool             `json:"use_regex"`
	Replacement    string            `json:"replacement"`
	StrRep         string            `json:"str_rep"`
	PrependScheme  string            `json:"prepend_scheme"`
	Pattern        patternConfig     `json:"pattern"`
	Behavior       string            `json:"behavior"`
	Invert         bool              `json:"invert"`
	Individual     bool              `json:"individual_digits"`
	Content        string            `json:"content"`
}

func newPreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c preTokenizerConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("reading a pre-tokenizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		seq, err := readSequence(c.Pretokenizers, newPreTokenizer)
		if err != nil {
			return nil, err
		}
		return preTokenizerSeq(seq), nil
	case "BertPreTokenizer":
		return preTokenizerFunc(bertSplit), nil
	case "ByteLevel":
		return byteLevel{prefix: c.AddPrefixSpace, regex: c.UseRegex == nil || *c.UseRegex}, nil
	case "Whitespace":
		return matcher{whitespaceRe, false}, nil
	case "WhitespaceSplit":
		return matcher{whitespaceSplitRe, false}, nil
	case "Punctuation":
		return matcher{punctuationRe, false}, nil
	case "Digits":
		if c.Individual {
			return matcher{digitsOneRe, false}, nil
		}
		return matcher{digitsRe, false}, nil
	case "Metaspace":
		return newMetaspace(c), nil
	case "Split":
		p, err := compilePattern(c.Pattern, c.Invert)
		if err != nil {
			return nil, fmt.Errorf("Split pre-tokenizer: %w", err)
		}
		if c.Invert {
			return matcher{p, false}, nil
		}
		return isolated{p, strings.EqualFold(c.Behavior, "removed") && c.Pattern.Regex != nil}, nil
	case "Replace":
		p, err := compilePattern(c.Pattern, true)
		if err != nil {
			return nil, fmt.Errorf("Replace pre-tokenizer: %w", err)
		}
		rp := replacer{p, []rune(c.Content)}
		return preTokenizerFunc(func(t atext, _ int) []atext { return []atext{rp.normalize(t)} }), nil
	}
	return nil, fmt.Errorf("unsupported pre-tokenizer %q", c.Type)
}

// The built-in patterns of transformers.js's pre-tokenizers, in .NET syntax.
// Whitespace and Digits use JavaScript's ASCII \w and \d.
var (
	bertPunct         = `\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E`
	whitespaceRe      = mustRegex(`[A-Za-z0-9_]+|[^A-Za-z0-9_` + jsSpaceClass + `]+`)
	whitespaceSplitRe = mustRegex(`[^` + jsSpaceClass + `]+`)
	punctuationRe     = mustRegex(`[^` + bertPunct + `]+|[` + bertPunct + `]+`)
	digitsRe          = mustRegex(`[^0-9]+|[0-9]+`)
	digitsOneRe       = mustRegex(`[^0-9]+|[0-9]`)
	gpt2Re            = mustRegex(`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^` + jsSpaceClass + `\p{L}\p{N}]+|[` + jsSpaceClass + `]+(?![^` + jsSpaceClass + `])|[` + jsSpaceClass + `]+`)
)

// bertSplit is `[^\s PUNCT]+|[PUNCT]` over the trimmed text (JavaScript's
// \s), coded by hand: it is the hot loop of every BERT model.
func bertSplit(t atext, _ int) []atext {
	var out []atext
	start := -1
	for i, r := range t.r {
		switch {
		case isJSSpace(r):
			if start >= 0 {
				out = append(out, t.slice(start, i))
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				out = append(out, t.slice(start, i))
				start = -1
			}
			out = append(out, t.slice(i, i+1))
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, t.slice(start, len(t.r)))
	}
	return out
}

type preTokenizerFunc func(atext, int) []atext

func (f preTokenizerFunc) split(t atext, s int) []atext { return f(t, s) }

type preTokenizerSeq []preTokenizer

func (s preTokenizerSeq) split(t atext, section int) []atext {
	pieces := []atext{t}
	for _, p := range s {
		var next []atext
		for _, piece := range pieces {
			next = append(next, p.split(piece, section)...)
		}
		pieces = next
	}
	return pieces
}

// matcher keeps the matches of a pattern and drops what lies between them.
type matcher struct {
	p    *pattern
	trim bool
}

func (m matcher) split(t atext, _ int) []atext {
	if m.trim {
		t = trimJS(t, true, true)
	}
	ms := m.p.findAll(t.r)
	out := make([]atext, 0, len(ms))
	for _, x := range ms {
		out = append(out, t.slice(x[0], x[1]))
	}
	return out
}

// isolated keeps both the matches and what lies between them, which is what
// transformers.js does for every Split behavior but "removed" (and for
// "removed" with a String pattern, whose capture group JavaScript's split
// keeps too).
type isolated struct {
	p      *pattern
	remove bool
}

func (s isolated) split(t atext, _ int) []atext {
	ms := s.p.findAll(t.r)
	var out []atext
	prev := 0
	for _, x := range ms {
		if x[0] > prev {
			out = append(out, t.slice(prev, x[0]))
		}
		if !s.remove {
			out = append(out, t.slice(x[0], x[1]))
		}
		prev = x[1]
	}
	if prev < len(t.r) {
		out = append(out, t.slice(prev, len(t.r)))
	}
	return out
}

// byteLevel maps every UTF-8 byte to its printable stand-in (GPT-2's
// bytes_to_unicode); each byte keeps the span of its code point.
type byteLevel struct{ prefix, regex bool }

func (b byteLevel) split(t atext, _ int) []atext {
	if b.prefix && (len(t.r) == 0 || t.r[0] != ' ') {
		var bl builder
		z := span{}
		if len(t.a) > 0 {
			z = t.a[0] // the Rust library gives the added space the first code point's span
		}
		bl.add(' ', z)
		bl.addAll(t)
		t = bl.t
	}
	pieces := []atext{t}
	if b.regex {
		pieces = matcher{p: gpt2Re}.split(t, 0)
	}
	for i, p := range pieces {
		pieces[i] = toBytes(p)
	}
	return pieces
}

func toBytes(t atext) atext {
	var b builder
	b.t.r = make([]rune, 0, len(t.r)*2)
	b.t.a = make([]span, 0, len(t.r)*2)
	var buf [utf8.UTFMax]byte
	for i, r := range t.r {
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			b.add(byteToRune[c], t.a[i])
		}
	}
	return b.t
}

var byteToRune, runeToByte = bytesToUnicode()

// bytesToUnicode is GPT-2's table: printable Latin-1 bytes stand for
// themselves, the others for code points from U+0100 on.
func bytesToUnicode() ([256]rune, map[rune]byte) {
	var tab [256]rune
	rev := make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			tab[b] = rune(b)
		} else {
			tab[b] = 256 + n
			n++
		}
		rev[tab[b]] = byte(b)
	}
	return tab, rev
}

type metaspace struct {
	rep    []rune
	strRep []rune
	scheme string
}

func newMetaspace(c preTokenizerConfig) metaspace {
	m := metaspace{rep: []rune("\u2581"), scheme: "always"}
	if c.Replacement != "" {
		m.rep = []rune(c.Replacement)
	}
	m.strRep = m.rep
	if c.StrRep != "" {
		m.strRep = []rune(c.StrRep)
	}
	if c.PrependScheme != "" {
		m.scheme = c.PrependScheme
	}
	return m
}

// split replaces spaces and prepends the replacement; transformers.js does
// not split on it (the Rust library does): the whole section is one word.
func (m metaspace) split(t atext, section int) []atext {
	var b builder
	for i, r := range t.r {
		if r == ' ' {
			for _, x := range m.strRep {
				b.add(x, t.a[i])
			}
			continue
		}
		b.add(r, t.a[i])
	}
	out := b.t
	starts := len(out.r) >= len(m.rep) && equalRunes(out.r[:len(m.rep)], m.rep)
	if !starts && (m.scheme == "always" || m.scheme == "first" && section == 0) {
		var p builder
		z := span{}
		if len(out.a) > 0 {
			z = out.a[0] // as the Rust library aligns the prepended replacement
		}
		for _, x := range m.strRep {
			p.add(x, z)
		}
		p.addAll(out)
		out = p.t
	}
	return []atext{out}
}
