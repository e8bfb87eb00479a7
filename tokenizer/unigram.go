package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is SentencePiece's unigram model: the segmentation of highest
// total score (Viterbi), an unknown character scoring 10 below the worst piece.
type unigram struct {
	vocab
	scores []float64
	maxLen int
}

func newUnigram(c modelConfig) (*unigram, error) {
	var entries [][2]json.RawMessage
	if err := json.Unmarshal(c.Vocab, &entries); err != nil {
		return nil, fmt.Errorf("reading the unigram vocabulary: %w", err)
	}
	u := &unigram{vocab: vocab{ids: make(map[string]int, len(entries)), unk: -1}}
	u.tokens = make([]string, len(entries))
	u.scores = make([]float64, len(entries))
	minScore := math.Inf(1)
	for i, e := range entries {
		if err := json.Unmarshal(e[0], &u.tokens[i]); err != nil {
			return nil, fmt.Errorf("unigram piece %d: %w", i, err)
		}
		if err := json.Unmarshal(e[1], &u.scores[i]); err != nil {
			return nil, fmt.Errorf("unigram score %d: %w", i, err)
		}
		u.ids[u.tokens[i]] = i
		minScore = min(minScore, u.scores[i])
		u.maxLen = max(u.maxLen, utf8.RuneCountInString(u.tokens[i]))
	}
	if c.UnkID != nil && *c.UnkID >= 0 && *c.UnkID < len(entries) {
		u.unk = *c.UnkID
		u.unkTok = u.tokens[u.unk]
		u.scores[u.unk] = minScore - 10
	}
	return u, nil
}

func (u *unigram) encode(words []atext, out []token, stop int) []token {
	return encodeFused(words, out, stop, &u.vocab, true, u.word)
}

type lnode struct {
	id, start, end int
	score, bt      float64 // the piece's score; the best path's score up to its end
	prev           int     // index into the node list, -1 for the start
}

// word is transformers.js's lattice, decision for decision: each node
// takes the predecessor that maximises predecessor-score + own score (the
// first such, in insertion order), so floating-point near-ties fall the
// same way.
func (u *unigram) word(w atext, out []token) []token {
	n := len(w.r)
	if n == 0 {
		return out
	}
	var nodes []lnode
	begins := make([][]int, n+1)
	ends := make([][]int, n+1)
	add := func(id, b, l int, score float64) {
		nodes = append(nodes, lnode{id: id, start: b, end: b + l, score: score, prev: -1})
		begins[b] = append(begins[b], len(nodes)-1)
		ends[b+l] = append(ends[b+l], len(nodes)-1)
	}
	for b := 0; b < n; b++ {
		single := false
		for l := 1; l <= u.maxLen && b+l <= n; l++ {
			if id, ok := u.ids[string(w.r[b:b+l])]; ok {
				add(id, b, l, u.scores[id])
				single = single || l == 1
			}
		}
		if !single {
			add(u.unk, b, 1, u.scores[max(u.unk, 0)])
		}
	}
	for pos := 0; pos < n; pos++ {
		if len(begins[pos]) == 0 {
			return out // transformers.js gives no tokens for such a word
		}
		for _, r := range begins[pos] {
			best, bestScore := -1, 0.0
			if pos == 0 {
				best, bestScore = -1, nodes[r].score // after the start node, whose score is 0
			} else {
				found := false
				for _, l := range ends[pos] {
					if s := nodes[l].bt + nodes[r].score; !found || s > bestScore {
						best, bestScore, found = l, s, true
					}
				}
				if !found {
					return out
				}
			}
			nodes[r].prev, nodes[r].bt = best, bestScore
		}
	}
	last, lastScore := -1, 0.0
	for _, l := range ends[n] {
		if s := nodes[l].bt; last < 0 || s > lastScore {
			last, lastScore = l, s
		}
	}
	var path []int
	for i := last; i >= 0; i = nodes[i].prev {
		path = append(path, i)
	}
	toks := make([]token, len(path))
	for k, i := range path {
		nd := nodes[i]
		toks[len(path)-1-k] = token{value: string(w.r[nd.start:nd.end]), id: nd.id, off: w.cover(nd.start, nd.end)}
	}
	return append(out, toks...)
}
