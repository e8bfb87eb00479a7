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
	Type       string            `json:"type"`
	Single     []templateItem    `json:"single"`
	Pair       []templateItem    `json:"pair"`
	Sep        json.RawMessage   `json:"sep"`
	Cls        json.RawMessage   `json:"cls"`
	Processors []json.RawMessage `json:"processors"`
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
		return passThrough{}, nil
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
		return bertProc{sep: sep.tok, cls: cls.tok, roberta: c.Type == "RobertaProcessing"}, nil
	case "Sequence":
		var seq postSeq
		for _, r := range c.Processors {
			p, err := newPostProcessor(r)
			if err != nil {
				return nil, err
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
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
type passThrough struct{}

func (passThrough) process(a, _ []token, _, _ bool) ([]token, []int) { return a, nil }

type bertProc struct {
	sep, cls string
	roberta  bool
}

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
