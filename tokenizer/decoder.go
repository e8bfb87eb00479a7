package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decoder spells token strings back into text as transformers.js's
// token-classification pipeline shows them: it decodes each token (and each
// "simple" group) with tokenizer.json's decoder, special tokens skipped, then
// applies clean_up_tokenization_spaces. So a WordPiece "##ing" stays "##ing"
// alone, a byte-level "Ġworld" reads " world" and a SentencePiece "▁Paris"
// reads "Paris".
//
// It works on token strings (Encoding.Tokens), so it needs no vocabulary.
type Decoder struct {
	step    decodeStep // nil: tokens joined with spaces, as with no decoder
	cleanup bool
}

// decodeStep is one decoder of tokenizer.json's "decoder" section: it maps
// the chain of token strings to a new chain.
type decodeStep func(tokens []string) []string

type decoderConfig struct {
	Type     string          `json:"type"`
	Decoders []decoderConfig `json:"decoders"`
	Prefix   string          `json:"prefix"`
	Cleanup  bool            `json:"cleanup"`
	Replace  *string         `json:"replacement"`
	Suffix   string          `json:"suffix"`
	Pattern  struct {
		String *string `json:"String"`
	} `json:"pattern"`
	Content string `json:"content"`
	Start   int    `json:"start"`
	Stop    int    `json:"stop"`
}

// newDecoder reads tokenizer.json's decoder section and whether
// tokenizer_config.json cleans up spaces (its default is true).
func newDecoder(raw json.RawMessage, cleanUpSpaces *bool) (*Decoder, error) {
	d := &Decoder{cleanup: cleanUpSpaces == nil || *cleanUpSpaces}
	if isNull(raw) {
		return d, nil
	}
	var c decoderConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("reading tokenizer.json's decoder: %w", err)
	}
	step, err := decoderStep(c)
	if err != nil {
		return nil, err
	}
	d.step = step
	return d, nil
}

// Decoder is the tokenizer's decoder, or why tokenizer.json's decoder
// section cannot be served (encoding does not need it, so New accepts it).
func (t *Tokenizer) Decoder() (*Decoder, error) { return t.decoder, t.decoderErr }

// Tokens decodes token strings (special ones already left out).
func (d *Decoder) Tokens(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var out string
	if d.step == nil {
		out = strings.Join(tokens, " ")
	} else {
		out = strings.Join(d.step(append([]string(nil), tokens...)), "")
	}
	if d.cleanup {
		out = cleanUpTokenization(out)
	}
	return out
}

func decoderStep(c decoderConfig) (decodeStep, error) {
	switch c.Type {
	case "WordPiece":
		return wordPieceStep(c), nil
	case "ByteLevel":
		return byteLevelStep, nil
	case "Metaspace":
		repl := "▁"
		if c.Replace != nil {
			repl = *c.Replace
		}
		return func(toks []string) []string {
			for i, t := range toks {
				t = strings.ReplaceAll(t, repl, " ")
				if i == 0 {
					t = strings.TrimPrefix(t, " ")
				}
				toks[i] = t
			}
			return toks
		}, nil
	case "BPEDecoder":
		return func(toks []string) []string {
			for i, t := range toks {
				sep := " "
				if i == len(toks)-1 {
					sep = ""
				}
				toks[i] = strings.ReplaceAll(t, c.Suffix, sep)
			}
			return toks
		}, nil
	case "Replace":
		if c.Pattern.String == nil {
			return nil, fmt.Errorf("tokenizer.json: decoder Replace with a regex pattern is not supported")
		}
		return func(toks []string) []string {
			for i, t := range toks {
				toks[i] = strings.ReplaceAll(t, *c.Pattern.String, c.Content)
			}
			return toks
		}, nil
	case "Fuse":
		return func(toks []string) []string { return []string{strings.Join(toks, "")} }, nil
	case "Strip":
		return stripStep(c), nil
	case "ByteFallback":
		return byteFallbackStep, nil
	case "Sequence":
		var steps []decodeStep
		for _, d := range c.Decoders {
			s, err := decoderStep(d)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		}
		return func(toks []string) []string {
			for _, s := range steps {
				toks = s(toks)
			}
			return toks
		}, nil
	}
	return nil, fmt.Errorf("tokenizer.json: decoder %q is not supported", c.Type)
}

func wordPieceStep(c decoderConfig) decodeStep {
	return func(toks []string) []string {
		for i, t := range toks {
			if i != 0 {
				if c.Prefix != "" && strings.HasPrefix(t, c.Prefix) {
					t = strings.Replace(t, c.Prefix, "", 1)
				} else {
					t = " " + t
				}
			}
			if c.Cleanup {
				t = cleanUpTokenization(t)
			}
			toks[i] = t
		}
		return toks
	}
}

// byteLevelStep maps GPT-2's printable stand-ins back to bytes and reads
// them as UTF-8 (invalid sequences become U+FFFD, as TextDecoder does).
func byteLevelStep(toks []string) []string {
	var b []byte
	for _, t := range toks {
		for _, r := range t {
			if v, ok := unicodeToByte[r]; ok {
				b = append(b, v)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return []string{decodeUTF8(b)}
}

func byteFallbackStep(toks []string) []string {
	var out []string
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			out = append(out, decodeUTF8(pending))
			pending = pending[:0]
		}
	}
	for _, t := range toks {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && strings.HasSuffix(t, ">") {
			if v, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				pending = append(pending, byte(v))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

func stripStep(c decoderConfig) decodeStep {
	return func(toks []string) []string {
		for i, t := range toks {
			r := []rune(t) // transformers.js indexes UTF-16 units; content is one BMP char
			start, stop := 0, len(r)
			for k := 0; k < c.Start && k < len(r) && string(r[k]) == c.Content; k++ {
				start = k + 1
			}
			for k := 0; k < c.Stop && len(r)-k-1 >= 0 && string(r[len(r)-k-1]) == c.Content; k++ {
				stop = len(r) - k - 1
			}
			if start > stop {
				start = stop
			}
			toks[i] = string(r[start:stop])
		}
		return toks
	}
}

// decodeUTF8 reads b as JavaScript's TextDecoder does: each maximal
// subpart of an ill-formed sequence becomes one U+FFFD (Go's own
// conversions give one per byte, or one per run).
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart is how many bytes of the ill-formed sequence at b's start
// form the longest prefix of some well-formed sequence (at least 1).
func maximalSubpart(b []byte) int {
	for _, l := range wellFormed {
		if b[0] < l.first || b[0] > l.last {
			continue
		}
		n, lo, hi := 1, l.lo, l.hi
		for ; n <= l.need && n < len(b) && b[n] >= lo && b[n] <= hi; n++ {
			lo, hi = 0x80, 0xBF
		}
		return n
	}
	return 1
}

// wellFormed is Unicode's table 3-7 of well-formed UTF-8 byte sequences:
// for each range of lead bytes, the range of the byte after it and how many
// bytes follow (those after the second are always 80..BF).
var wellFormed = []struct {
	first, last, lo, hi byte
	need                int
}{
	{0xC2, 0xDF, 0x80, 0xBF, 1},
	{0xE0, 0xE0, 0xA0, 0xBF, 2}, {0xE1, 0xEC, 0x80, 0xBF, 2}, {0xED, 0xED, 0x80, 0x9F, 2}, {0xEE, 0xEF, 0x80, 0xBF, 2},
	{0xF0, 0xF0, 0x90, 0xBF, 3}, {0xF1, 0xF3, 0x80, 0xBF, 3}, {0xF4, 0xF4, 0x80, 0x8F, 3},
}

var cleanUpReplacer = strings.NewReplacer(" .", ".", " ?", "?", " !", "!", " ,", ",")

// cleanUpTokenization is transformers' clean_up_tokenization: spaces before
// punctuation and English contractions removed, in its order.
func cleanUpTokenization(s string) string {
	s = cleanUpReplacer.Replace(s)
	for _, p := range [][2]string{{" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// unicodeToByte inverts GPT-2's bytes_to_unicode: printable Latin-1 bytes
// stand for themselves, the others for 256 + their rank.
var unicodeToByte = func() map[rune]byte {
	m := make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[rune(b)] = byte(b)
		} else {
			m[rune(256+n)] = byte(b)
			n++
		}
	}
	return m
}()
