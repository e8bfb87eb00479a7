package tokenizer

import (
	"fmt"
	"strings"

	"github.com/dlclark/regexp2/v2"
)

// patternConfig is tokenizer.json's {"Regex": ...} or {"String": ...}.
type patternConfig struct {
	Regex  *string `json:"Regex"`
	String *string `json:"String"`
}

// pattern finds non-overlapping matches in code points, left to right.
type pattern struct {
	literal []rune
	re      *regexp2.Regexp
}

// whiteSpaceClass is Unicode's White_Space, which transformers.js puts in
// place of \s in tokenizer.json patterns; jsSpaceClass is JavaScript's own
// \s, used by its built-in patterns (ByteLevel's GPT-2 split).
const (
	whiteSpaceClass = `\t-\r\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000`
	jsSpaceClass    = `\t-\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF`
	wordClass       = `\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\xB2\xB3\xB9\xBC-\xBE`
)

func compilePattern(c patternConfig, _ bool) (*pattern, error) {
	switch {
	case c.String != nil:
		if *c.String == "" {
			return nil, fmt.Errorf("empty String pattern")
		}
		return &pattern{literal: []rune(*c.String)}, nil
	case c.Regex != nil:
		src, err := rewriteOniguruma(*c.Regex)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", *c.Regex, err)
		}
		return compileRegex(src)
	}
	return nil, fmt.Errorf("pattern is neither Regex nor String")
}

func compileRegex(src string) (*pattern, error) {
	re, err := regexp2.Compile(src, regexp2.RegexOptions(regexp2.None))
	if err != nil {
		return nil, fmt.Errorf("compiling %q: %w", src, err)
	}
	return &pattern{re: re}, nil
}

func mustRegex(src string) *pattern {
	p, err := compileRegex(src)
	if err != nil {
		panic(err)
	}
	return p
}

// findAll returns the [start, end) code point ranges of the non-empty matches.
func (p *pattern) findAll(r []rune) [][2]int {
	var out [][2]int
	if p.literal != nil {
		n := len(p.literal)
		for i := 0; i+n <= len(r); {
			if equalRunes(r[i:i+n], p.literal) {
				out = append(out, [2]int{i, i + n})
				i += n
				continue
			}
			i++
		}
		return out
	}
	ms, err := p.re.FindAllRunesIndex(r, -1)
	if err != nil {
		// Only a timeout or a backtracking limit can fail here; neither is
		// configured, so this is a bug in the engine.
		panic(fmt.Sprintf("tokenizer: regex failed: %v", err))
	}
	for _, m := range ms {
		if m[1] > m[0] {
			out = append(out, [2]int{m[0], m[1]})
		}
	}
	return out
}

func equalRunes(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rewriteOniguruma turns a tokenizer.json (Oniguruma) pattern into .NET
// syntax with the meanings transformers.js gives it: \s is White_Space,
// \w and \d are Unicode, (?i:...) folds ASCII letters only, possessive
// quantifiers and atomic groups are plain ones, ^ and $ match at lines.
func rewriteOniguruma(src string) (string, error) {
	var out strings.Builder
	r := []rune(src)
	var fold []bool // per open group: folding ASCII case
	ci := false
	lastQuant := false
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case c == '\\':
			n, err := rewriteEscape(&out, r, i, false, ci)
			if err != nil {
				return "", err
			}
			i = n
			lastQuant = false
		case c == '[':
			n, err := rewriteClass(&out, r, i)
			if err != nil {
				return "", err
			}
			i = n
			lastQuant = false
		case c == '(':
			rest := string(r[i:])
			fold = append(fold, ci)
			switch {
			case strings.HasPrefix(rest, "(?i:"):
				ci = true
				out.WriteString("(?:")
				i += 4
			case strings.HasPrefix(rest, "(?>"):
				out.WriteString("(?:")
				i += 3
			default:
				out.WriteRune(c)
				i++
			}
			lastQuant = false
		case c == ')':
			if len(fold) > 0 {
				ci = fold[len(fold)-1]
				fold = fold[:len(fold)-1]
			}
			out.WriteRune(c)
			i++
			lastQuant = false
		case c == '^':
			out.WriteString(`(?m:^)`)
			i++
		case c == '$':
			out.WriteString(`(?m:$)`)
			i++
		case c == '+' && lastQuant:
			i++ // possessive: JavaScript has none, so it is a plain quantifier
		case c == '+' || c == '*' || c == '?':
			out.WriteRune(c)
			lastQuant = true
			i++
		case c == '}':
			out.WriteRune(c)
			lastQuant = true
			i++
		case ci && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
			fmt.Fprintf(&out, "[%c%c]", lower(c), upper(c))
			i++
			lastQuant = false
		default:
			out.WriteRune(c)
			i++
			lastQuant = false
		}
	}
	return out.String(), nil
}

func lower(c rune) rune {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func upper(c rune) rune {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

// escapeSets are the class escapes Oniguruma and .NET read differently,
// as sets (\S and \W are the negations of \s and \w).
var escapeSets = map[rune]string{'s': whiteSpaceClass, 'S': whiteSpaceClass, 'w': wordClass, 'W': wordClass, 'h': "0-9A-Fa-f"}

// rewriteEscape writes the escape at r[i] and returns the index after it.
func rewriteEscape(out *strings.Builder, r []rune, i int, inClass, ci bool) (int, error) {
	if i+1 >= len(r) {
		return 0, fmt.Errorf("trailing backslash")
	}
	e := r[i+1]
	switch e {
	case 's', 'S', 'w', 'W', 'h':
		set := escapeSets[e]
		switch negated := e == 'S' || e == 'W'; {
		case inClass && negated:
			return 0, fmt.Errorf(`\%c inside a character class is not supported`, e)
		case inClass:
			out.WriteString(set)
		case negated:
			out.WriteString("[^" + set + "]")
		default:
			out.WriteString("[" + set + "]")
		}
	case 'd':
		out.WriteString(`\p{Nd}`)
	case 'D':
		out.WriteString(`\P{Nd}`)
	case 'G':
	case 'x':
		if i+2 < len(r) && r[i+2] == '{' {
			end := i + 3
			for end < len(r) && r[end] != '}' {
				end++
			}
			var cp rune
			if _, err := fmt.Sscanf(string(r[i+3:end]), "%x", &cp); err != nil {
				return 0, fmt.Errorf(`bad \x{...} escape`)
			}
			writeCodePoint(out, cp)
			return end + 1, nil
		}
		out.WriteString(string(r[i : i+2]))
	case 'p', 'P':
		end := i + 2
		if end < len(r) && r[end] == '{' {
			for end < len(r) && r[end] != '}' {
				end++
			}
			end++
		}
		out.WriteString(string(r[i:end]))
		return end, nil
	default:
		if ci && !inClass && (e >= 'a' && e <= 'z' || e >= 'A' && e <= 'Z') {
			out.WriteString(string(r[i : i+2]))
			return i + 2, nil
		}
		out.WriteString(string(r[i : i+2]))
	}
	return i + 2, nil
}

func writeCodePoint(out *strings.Builder, cp rune) {
	if cp <= 0xFFFF {
		fmt.Fprintf(out, `\u%04X`, cp)
		return
	}
	out.WriteString(regexp2.Escape(string(cp)))
}

// rewriteClass copies a [...] class, rewriting its escapes; nested classes
// and intersections are refused rather than guessed.
func rewriteClass(out *strings.Builder, r []rune, i int) (int, error) {
	out.WriteRune('[')
	i++
	if i < len(r) && r[i] == '^' {
		out.WriteRune('^')
		i++
	}
	first := true
	for i < len(r) {
		c := r[i]
		switch {
		case c == ']' && !first:
			out.WriteRune(']')
			return i + 1, nil
		case c == '\\':
			n, err := rewriteEscape(out, r, i, true, false)
			if err != nil {
				return 0, err
			}
			i = n
		case c == '[' || c == '&' && i+1 < len(r) && r[i+1] == '&':
			return 0, fmt.Errorf("nested character classes are not supported")
		default:
			out.WriteRune(c)
			i++
		}
		first = false
	}
	return 0, fmt.Errorf("unterminated character class")
}
