package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// Tokenizer encodes text as a Hugging Face tokenizer.json (and its
// tokenizer_config.json) describe it, with transformers.js's results.
// It is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer
	pre        preTokenizer
	model      model
	post       postProcessor
	decoder    *Decoder
	decoderErr error // an unsupported decoder section fails decoding only

	added      addedTokens // by content and by normalized content
	rawTrie    *trie       // added tokens matched before normalization
	normTrie   *trie       // added tokens matched after it
	special    map[string]bool
	checkAdded bool // some added token's content is also produced by the model
	chunked    bool // long sections may be encoded chunk by chunk (chunk.go)

	removeSpace bool
	lowerAccent bool

	info Info
}

// Info is what a model loader needs to know about the tokenizer.
type Info struct {
	// ModelMaxLength is tokenizer_config.json's model_max_length, 0 when
	// absent or effectively unbounded (transformers.js truncates to it).
	ModelMaxLength int
	// TruncationMaxLength is tokenizer.json's own truncation.max_length, 0 when none.
	TruncationMaxLength int
	// PadID is the id of the pad token (tokenizer_config.json's pad_token,
	// else its eos_token, else tokenizer.json's padding.pad_id, else 0).
	PadID int
	// ReturnsTypeIDs is whether transformers.js returns token_type_ids for
	// this tokenizer class (BERT-like classes do).
	ReturnsTypeIDs bool
	// AddsSpecialTokens is whether encoding adds tokens around the text
	// ([CLS] ... [SEP], <s> ...).
	AddsSpecialTokens bool
	// Class is tokenizer_config.json's tokenizer_class without "Fast".
	Class string
	// VocabSize is one more than the largest token id.
	VocabSize int
}

// Options change one encoding.
type Options struct {
	// MaxLength truncates the ids to this many (0: Info.ModelMaxLength;
	// negative: never truncate). transformers.js cuts the end of the
	// post-processed sequence, special tokens included.
	MaxLength int
	// NoSpecialTokens leaves out [CLS], [SEP], <s> and the like.
	NoSpecialTokens bool
}

// Encoding is one encoded text (or pair): parallel slices, one entry per token.
type Encoding struct {
	IDs           []int
	AttentionMask []int
	// TypeIDs are the segment ids (0 for the text, 1 for the pair where the
	// post-processor says so; all 0 when it gives none).
	TypeIDs []int
	// Tokens are the token strings as the vocabulary spells them ("##ing", "Ġworld", "<0xE2>").
	Tokens []string
	// Offsets are [start, end) code point (not byte, not UTF-16) offsets of
	// each token in its own text (the pair's tokens in the pair); special
	// tokens added by the post-processor have [0, 0].
	Offsets [][2]int
	// SequenceIDs is 0 for the text's tokens, 1 for the pair's, -1 for added special tokens.
	SequenceIDs []int
	// Special marks special tokens (added by the post-processor or found in the text).
	Special []bool
	// Truncated is true when tokens were cut off to fit MaxLength.
	Truncated bool
}

// ErrInvalidText is wrapped by the errors of text that is not valid UTF-8.
var ErrInvalidText = errors.New("text is not valid UTF-8")

// InvalidUTF8Error says where a text stops being UTF-8.
type InvalidUTF8Error struct {
	Field  string // "text" or "text_pair"
	Offset int    // byte offset of the first invalid byte
}

func (e *InvalidUTF8Error) Error() string {
	return fmt.Sprintf("%s is not valid UTF-8 at byte %d", e.Field, e.Offset)
}

func (e *InvalidUTF8Error) Unwrap() error { return ErrInvalidText }

// CheckUTF8 returns an *InvalidUTF8Error naming field when b is not UTF-8.
// Check raw bytes before JSON decoding, which turns bad bytes into U+FFFD.
func CheckUTF8(field string, b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	off := 0
	for off < len(b) {
		r, n := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return &InvalidUTF8Error{Field: field, Offset: off}
}

// Load reads a tokenizer from a folder holding tokenizer.json (and
// optionally tokenizer_config.json), or from a tokenizer.json path (a
// tokenizer_config.json beside it is read too).
func Load(path string) (*Tokenizer, error) {
	file := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the tokenizer: %w", err)
	}
	cfgPath := filepath.Join(filepath.Dir(file), "tokenizer_config.json")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", cfgPath, err)
	}
	t, err := New(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", file, err)
	}
	return t, nil
}

// Info describes the tokenizer for the model loader.
func (t *Tokenizer) Info() Info { return t.info }

// TokenID is the id of a token string, if the vocabulary has it.
func (t *Tokenizer) TokenID(s string) (int, bool) {
	if a := t.added.byText[s]; a != nil {
		return a.ID, true
	}
	return t.model.lookup(s)
}

// EncodeBytes is Encode for raw bytes: text that is not UTF-8 gives an
// *InvalidUTF8Error (errors.Is(err, ErrInvalidText)).
func (t *Tokenizer) EncodeBytes(text, pair []byte, opts Options) (Encoding, error) {
	if err := CheckUTF8("text", text); err != nil {
		return Encoding{}, err
	}
	if err := CheckUTF8("text_pair", pair); err != nil {
		return Encoding{}, err
	}
	return t.encode(string(text), string(pair), opts), nil
}

// Encode encodes a text and an optional pair ("" for none).
func (t *Tokenizer) Encode(text, pair string, opts Options) (Encoding, error) {
	if err := CheckUTF8("text", []byte(text)); err != nil {
		return Encoding{}, err
	}
	if err := CheckUTF8("text_pair", []byte(pair)); err != nil {
		return Encoding{}, err
	}
	return t.encode(text, pair, opts), nil
}

func (t *Tokenizer) encode(text, pair string, opts Options) Encoding {
	// Truncation keeps the first limit tokens of the post-processed
	// sequence: however the template orders the texts, limit+1 tokens of
	// each are enough to know them and that the sequence was cut, so a long
	// text stops there instead of going through the model whole.
	stop := 0
	if limit := t.limit(opts); limit > 0 {
		stop = limit + 1
	}
	a := t.encodeText(text, stop)
	var b []token
	hasPair := pair != ""
	if hasPair {
		b = t.encodeText(pair, stop)
	}
	special := !opts.NoSpecialTokens
	for i := range b {
		b[i].seq = 1
	}
	if t.post != nil {
		tr := trimmerOf(t.post)
		tr.apply(a)
		tr.apply(b)
	}
	var toks []token
	var types []int
	if t.post != nil {
		toks, types = t.post.process(a, b, hasPair, special)
	} else {
		toks = append(append(toks, a...), b...)
	}
	return t.finish(toks, types, opts)
}

func (t *Tokenizer) finish(toks []token, types []int, opts Options) Encoding {
	n := len(toks)
	e := Encoding{
		IDs: make([]int, n), AttentionMask: make([]int, n), TypeIDs: make([]int, n),
		Tokens: make([]string, n), Offsets: make([][2]int, n), SequenceIDs: make([]int, n), Special: make([]bool, n),
	}
	for i, tk := range toks {
		id := tk.id
		if id < 0 || t.checkAdded {
			id = t.idOf(tk.value)
		}
		e.IDs[i] = id
		e.AttentionMask[i] = 1
		if types != nil {
			e.TypeIDs[i] = types[i]
		}
		e.Tokens[i] = tk.value
		e.Offsets[i] = [2]int{int(tk.off.start), int(tk.off.end)}
		e.Special[i] = t.special[tk.value]
		e.SequenceIDs[i] = tk.seq
	}
	if limit := t.limit(opts); limit > 0 && n > limit {
		e.IDs, e.AttentionMask, e.TypeIDs = e.IDs[:limit], e.AttentionMask[:limit], e.TypeIDs[:limit]
		e.Tokens, e.Offsets, e.SequenceIDs, e.Special = e.Tokens[:limit], e.Offsets[:limit], e.SequenceIDs[:limit], e.Special[:limit]
		e.Truncated = true
	}
	return e
}

// limit is the number of ids an encoding keeps, 0 for all.
func (t *Tokenizer) limit(opts Options) int {
	switch {
	case opts.MaxLength < 0:
		return 0
	case opts.MaxLength == 0:
		return t.info.ModelMaxLength
	}
	return opts.MaxLength
}

// idOf is transformers.js's lookup: added tokens first, then the
// vocabulary, then the unknown token.
func (t *Tokenizer) idOf(s string) int {
	if a := t.added.byText[s]; a != nil {
		return a.ID
	}
	if id, ok := t.model.lookup(s); ok {
		return id
	}
	return t.model.unkID()
}

// encodeText runs one text through added-token splitting, normalization,
// pre-tokenization and the model.
func (t *Tokenizer) encodeText(s string, stop int) []token {
	if s == "" {
		return nil
	}
	return t.splitAdded(t.rawTrie, newAText(s), nil, stop, false, func(sec atext, i int, out []token) []token {
		return t.encodeSection(sec, i, out, stop)
	})
}

// splitAdded splits text at the added tokens tr finds (stripping around
// them as they ask) and appends, until out holds stop tokens (0: no
// limit), each added token (valued as matched, or as its content) and what
// encode makes of each piece between them (i: the piece's index).
func (t *Tokenizer) splitAdded(tr *trie, text atext, out []token, stop int, asMatched bool, encode func(piece atext, i int, out []token) []token) []token {
	pieces := tr.split(text)
	stripAround(pieces, &t.added)
	for i, p := range pieces {
		if stop > 0 && len(out) >= stop {
			break
		}
		if len(p.r) == 0 {
			continue
		}
		if a := t.added.of(p.r); a != nil {
			value := a.Content
			if asMatched {
				value = string(p.r)
			}
			out = append(out, token{value: value, id: a.ID, off: p.cover(0, len(p.r))})
			continue
		}
		out = encode(p, i, out)
	}
	return out
}

func (t *Tokenizer) encodeSection(sec atext, index int, out []token, stop int) []token {
	if size := max(minChunk, 8*stop); t.chunked && stop > 0 && len(sec.r) > 2*size {
		for _, c := range chunks(sec, size) {
			if len(out) >= stop {
				break
			}
			out = t.encodeChunk(c, index, out, stop)
		}
		return out
	}
	return t.encodeChunk(sec, index, out, stop)
}

// encodeChunk is encodeSection on a whole section, or on a chunk of one.
func (t *Tokenizer) encodeChunk(sec atext, index int, out []token, stop int) []token {
	if t.removeSpace {
		sec = collapseSpaces(sec)
	}
	if t.lowerAccent {
		sec = dropRunes(lowerJS(sec), isMark)
	}
	if t.normalizer != nil {
		sec = t.normalizer.normalize(sec)
	}
	if len(sec.r) == 0 {
		return out
	}
	return t.splitAdded(t.normTrie, sec, out, stop, true, func(sub atext, _ int, out []token) []token {
		words := []atext{sub}
		if t.pre != nil {
			words = t.pre.split(sub, index)
		}
		return t.model.encode(words, out, stop)
	})
}

// collapseSpaces is tokenizer_config.json's remove_space: trim, and runs
// of whitespace become one space.
func collapseSpaces(t atext) atext {
	t = trimJS(t, true, true)
	var b builder
	for i := 0; i < len(t.r); i++ {
		if isJSSpace(t.r[i]) {
			j := i
			for j+1 < len(t.r) && isJSSpace(t.r[j+1]) {
				j++
			}
			b.add(' ', t.cover(i, j+1))
			i = j
			continue
		}
		b.add(t.r[i], t.a[i])
	}
	return b.t
}

var typeIDClasses = map[string]bool{
	"BertTokenizer": true, "AlbertTokenizer": true, "DebertaTokenizer": true, "DebertaV2Tokenizer": true,
	"ElectraTokenizer": true, "MobileBertTokenizer": true, "ConvBertTokenizer": true, "RoFormerTokenizer": true,
	"HerbertTokenizer": true, "XLMTokenizer": true, "SqueezeBertTokenizer": true,
}
