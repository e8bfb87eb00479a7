package tokenizer

import "strings"

// wordPiece is BERT's greedy longest-match-first subword model.
type wordPiece struct {
	vocab
	prefix   string
	maxChars int
	cont     map[string]int // the continuation pieces by their text without the prefix
}

func newWordPiece(c modelConfig) (*wordPiece, error) {
	v, err := newVocab(c.Vocab, c.UnkToken)
	if err != nil {
		return nil, err
	}
	w := &wordPiece{vocab: v, prefix: "##", maxChars: 100}
	if c.ContinuingSubwordPrefix != nil {
		w.prefix = *c.ContinuingSubwordPrefix
	}
	if c.MaxInputCharsPerWord != nil {
		w.maxChars = *c.MaxInputCharsPerWord
	}
	w.index()
	return w, nil
}

func (w *wordPiece) index() {
	w.cont = make(map[string]int)
	for s, id := range w.ids {
		if rest, ok := strings.CutPrefix(s, w.prefix); ok {
			w.cont[rest] = id
		}
	}
}

// setToken keeps the continuation index in step with the vocabulary.
func (w *wordPiece) setToken(s string, id int) {
	w.vocab.setToken(s, id)
	if rest, ok := strings.CutPrefix(s, w.prefix); ok {
		w.cont[rest] = id
	}
}

func (w *wordPiece) encode(words []atext, out []token, stop int) []token {
	return encodeFused(words, out, stop, &w.vocab, false, w.word)
}

func (w *wordPiece) word(word atext, out []token) []token {
	n := len(word.r)
	unk := token{value: w.unkTok, id: w.unk, off: word.cover(0, n)}
	if n > w.maxChars {
		return append(out, unk)
	}
	mark := len(out)
	// the word as UTF-8, with each code point's byte offset, so candidate
	// pieces are substrings rather than new strings
	text := string(word.r)
	at := make([]int, n+1)
	k := 0
	for i := range text {
		at[k] = i
		k++
	}
	at[n] = len(text)
	for start := 0; start < n; {
		end := n
		found := false
		for start < end {
			s := text[at[start]:at[end]]
			table := w.ids
			if start > 0 {
				table = w.cont
			}
			if id, ok := table[s]; ok {
				if start > 0 {
					s = w.prefix + s
				}
				out = append(out, token{value: s, id: id, off: word.cover(start, end)})
				found = true
				break
			}
			end--
		}
		if !found {
			return append(out[:mark], unk)
		}
		start = end
	}
	return out
}
