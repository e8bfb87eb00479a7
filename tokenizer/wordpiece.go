package tokenizer

// wordPiece is BERT's greedy longest-match-first subword model.
type wordPiece struct {
	vocab
	prefix   string
	maxChars int
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
	return w, nil
}

func (w *wordPiece) encode(words []atext, out []token) []token {
	for _, word := range words {
		out = w.word(word, out)
	}
	return out
}

func (w *wordPiece) word(word atext, out []token) []token {
	n := len(word.r)
	unk := token{value: w.unkTok, id: w.unk, off: word.cover(0, n)}
	if n > w.maxChars {
		return append(out, unk)
	}
	mark := len(out)
	for start := 0; start < n; {
		end := n
		found := false
		for start < end {
			s := string(word.r[start:end])
			if start > 0 {
				s = w.prefix + s
			}
			if id, ok := w.ids[s]; ok {
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
