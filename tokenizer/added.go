package tokenizer

import "unicode/utf8"

// addedToken is an entry of tokenizer.json's added_tokens. transformers.js
// ignores single_word, and matches added tokens anywhere in the text.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    bool   `json:"special"`
}

// trie finds the longest added token starting at each position.
type trie struct {
	next map[rune]*trie
	end  bool
}

func (t *trie) add(s string) {
	n := t
	for _, r := range s {
		if n.next == nil {
			n.next = make(map[rune]*trie)
		}
		c := n.next[r]
		if c == nil {
			c = &trie{}
			n.next[r] = c
		}
		n = c
	}
	n.end = true
}

// split cuts t into the added tokens it contains and the text between them,
// scanning left to right and taking the longest token at each position.
func (t *trie) split(text atext) []atext {
	if t.next == nil {
		return []atext{text}
	}
	var out []atext
	start := 0
	for i := 0; i < len(text.r); {
		n, match := t, 0
		for j := i; j < len(text.r); j++ {
			if n = n.next[text.r[j]]; n == nil {
				break
			}
			if n.end {
				match = j + 1 - i
			}
		}
		if match == 0 {
			i++
			continue
		}
		if i > start {
			out = append(out, text.slice(start, i))
		}
		out = append(out, text.slice(i, i+match))
		i += match
		start = i
	}
	if start < len(text.r) {
		out = append(out, text.slice(start, len(text.r)))
	}
	return out
}

// addedTokens finds added tokens by content (and normalized content).
type addedTokens struct {
	byText map[string]*addedToken
	maxLen int // the longest key, in code points
}

func (at *addedTokens) set(s string, a *addedToken) {
	at.byText[s] = a
	at.maxLen = max(at.maxLen, utf8.RuneCountInString(s))
}

// of is the added token a text is, if any; a long text is none without
// becoming a string.
func (at *addedTokens) of(r []rune) *addedToken {
	if len(r) > at.maxLen || len(r) == 0 {
		return nil
	}
	return at.byText[string(r)]
}

// stripAround trims whitespace next to added tokens that ask for it
// (lstrip: the text before; rstrip: the text after).
func stripAround(sections []atext, added *addedTokens) {
	for i, s := range sections {
		a := added.of(s.r)
		if a == nil {
			continue
		}
		if a.LStrip && i > 0 {
			sections[i-1] = trimJS(sections[i-1], false, true)
		}
		if a.RStrip && i < len(sections)-1 {
			sections[i+1] = trimJS(sections[i+1], true, false)
		}
	}
}
