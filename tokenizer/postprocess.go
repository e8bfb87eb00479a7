package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds the special tokens around one text or a pair and
// gives every token its type id.
type postProcessor interface {
	process(a, b []token, pair, special bool) ([]token, []int)
}

type postConfig struct {
	Type           string            `json:"type"`
	TrimOffsets    *bool             `json:"trim_offsets"`
	AddPrefixSpace *bool             `json:"add_prefix_space"`
	Single         []templateItem    `json:"single"`
	Pair           []templateItem    `json:"pair"`
	Sep            json.RawMessage   `json:"sep"`
	Cls            json.RawMessage   `json:"cls"`
	Processors     []json.RawMessage `json:"processors"`
}

type templateItem struct {
	SpecialToken *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"Sequence"`
}

func newPostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c postConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("reading the post-processor: %w", err)
	}
	switch c.Type {
	case "TemplateProcessing":
		return template{single: c.Single, pair: c.Pair}, nil
	case "ByteLevel":
		return passThrough{trimmer{on: orTrue(c.TrimOffsets), prefix: orTrue(c.AddPrefixSpace)}}, nil
	case "BertProcessing", "RobertaProcessing":
		var sep, cls struct {
			tok string
			id  int
		}
		var s, k []any
		if err := json.Unmarshal(c.Sep, &s); err != nil || len(s) == 0 {
			return nil, fmt.Errorf("%s: bad sep", c.Type)
		}
		if err := json.Unmarshal(c.Cls, &k); err != nil || len(k) == 0 {
			return nil, fmt.Errorf("%s: bad cls", c.Type)
		}
		sep.tok, _ = s[0].(string)
		cls.tok, _ = k[0].(string)
		p := bertProc{sep: sep.tok, cls: cls.tok}
		if c.Type == "RobertaProcessing" {
			p.roberta = true
			p.trim = trimmer{on: orTrue(c.TrimOffsets), prefix: orTrue(c.AddPrefixSpace)}
		}
		return p, nil
	case "Sequence":
		seq, err := readSequence(c.Processors, newPostProcessor)
		if err != nil {
			return nil, err
		}
		return postSeq(seq), nil
	}
	return nil, fmt.Errorf("unsupported post-processor %q", c.Type)
}

// specialToken is a token the post-processor adds: its id is looked up
// later, like every token's; it has no offsets.
func specialToken(s string) token { return token{value: s, id: -1, seq: -1} }

type template struct{ single, pair []templateItem }

func (t template) process(a, b []token, pair, special bool) ([]token, []int) {
	items := t.single
	if pair {
		items = t.pair
	}
	var toks []token
	var types []int
	for _, it := range items {
		switch {
		case it.SpecialToken != nil:
			if special {
				toks = append(toks, specialToken(it.SpecialToken.ID))
				types = append(types, it.SpecialToken.TypeID)
			}
		case it.Sequence != nil:
			seq := a
			if it.Sequence.ID == "B" {
				seq = b
			} else if it.Sequence.ID != "A" {
				continue
			}
			toks = append(toks, seq...)
			for range seq {
				types = append(types, it.Sequence.TypeID)
			}
		}
	}
	return toks, types
}

// passThrough is the ByteLevel post-processor. In transformers.js it hands
// both sequences on unchanged, so on its own it drops the pair (the encoding
// keeps only the first sequence) and gives no type ids.
type passThrough struct{ trim trimmer }

func (passThrough) process(a, _ []token, _, _ bool) ([]token, []int) { return a, nil }

func (p passThrough) trimmer() trimmer { return p.trim }

type bertProc struct {
	sep, cls string
	roberta  bool
	trim     trimmer
}

func (p bertProc) trimmer() trimmer { return p.trim }

func (p bertProc) process(a, b []token, pair, special bool) ([]token, []int) {
	var toks []token
	if special {
		toks = append(toks, specialToken(p.cls))
	}
	toks = append(toks, a...)
	if special {
		toks = append(toks, specialToken(p.sep))
	}
	types := make([]int, len(toks))
	if pair {
		if special && p.roberta {
			toks = append(toks, specialToken(p.sep))
			types = append(types, 1)
		}
		toks = append(toks, b...)
		for range b {
			types = append(types, 1)
		}
		if special {
			toks = append(toks, specialToken(p.sep))
			types = append(types, 1)
		}
	}
	return toks, types
}

// postSeq chains processors the way transformers.js does: ByteLevel passes
// both sequences on; any other processor joins them and consumes the pair.
type postSeq []postProcessor

func (s postSeq) trimmer() trimmer {
	for _, p := range s {
		if t := trimmerOf(p); t.on {
			return t
		}
	}
	return trimmer{}
}

func (s postSeq) process(a, b []token, pair, special bool) ([]token, []int) {
	var types []int
	for _, p := range s {
		if _, ok := p.(passThrough); ok {
			types = nil
			continue
		}
		a, types = p.process(a, b, pair, special)
		b, pair = nil, false
	}
	return a, types
}

func orTrue(b *bool) bool { return b == nil || *b }

// trimmer is the Rust library's trim_offsets of the ByteLevel and
// RobertaProcessing post-processors: a token's offsets leave out its
// leading and trailing spaces (but for the space the tokenizer itself put
// before the first word when add_prefix_space). It changes offsets only:
// transformers.js, which has none, has nothing to follow here.
type trimmer struct{ on, prefix bool }

func trimmerOf(p postProcessor) trimmer {
	if t, ok := p.(interface{ trimmer() trimmer }); ok {
		return t.trimmer()
	}
	return trimmer{}
}

func (tr trimmer) apply(toks []token) {
	if !tr.on {
		return
	}
	space := byteToRune[' ']
	isSpace := func(r rune) bool { return r == space || isWhiteSpace(r) }
	for i := range toks {
		r := []rune(toks[i].value)
		lead, trail := 0, 0
		for lead < len(r) && isSpace(r[lead]) {
			lead++
		}
		for trail < len(r) && isSpace(r[len(r)-1-trail]) {
			trail++
		}
		o := &toks[i].off
		if lead > 0 {
			if (i == 0 || o.start == 0) && tr.prefix && lead == 1 {
				lead = 0
			}
			o.start = min(o.start+int32(lead), o.end)
		}
		if trail > 0 && o.end >= int32(trail) {
			o.end = max(o.end-int32(trail), o.start)
		}
	}
}
