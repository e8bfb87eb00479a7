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

func (u *unigram) encode(words []atext, out []token) []token {
	mark := len(out)
	for _, w := range words {
		out = u.word(w, out)
	}
	return append(out[:mark], fuseUnk(out[mark:], &u.vocab)...)
}

type lnode struct {
	id, start int
	score     float64
	prev      int // index into the node list, -1 for the start
}

func (u *unigram) word(w atext, out []token) []token {
	n := len(w.r)
	if n == 0 {
		return out
	}
	// best[p] is the node ending at p with the highest running score (the
	// first such in insertion order, as transformers.js's lattice keeps it).
	best := make([]int, n+1)
	bestScore := make([]float64, n+1)
	for i := range best {
		best[i] = -2
	}
	best[0] = -1
	var nodes []lnode
	for b := 0; b < n; b++ {
		if best[b] == -2 {
			return out
		}
		single := false
		add := func(id, l int, score float64) {
			s := bestScore[b] + score
			nodes = append(nodes, lnode{id: id, start: b, score: s, prev: best[b]})
			if e := b + l; best[e] == -2 || s > bestScore[e] {
				best[e], bestScore[e] = len(nodes)-1, s
			}
		}
		for l := 1; l <= u.maxLen && b+l <= n; l++ {
			if id, ok := u.ids[string(w.r[b:b+l])]; ok {
				add(id, l, u.scores[id])
				single = single || l == 1
			}
		}
		if !single {
			add(u.unk, 1, u.scores[max(u.unk, 0)])
		}
	}
	var path []int
	for i := best[n]; i >= 0; i = nodes[i].prev {
		path = append(path, i)
	}
	end := n
	toks := make([]token, len(path))
	for k, i := range path {
		nd := nodes[i]
		toks[len(path)-1-k] = token{value: string(w.r[nd.start:end]), id: nd.id, off: w.cover(nd.start, end)}
		end = nd.start
	}
	return append(out, toks...)
}
