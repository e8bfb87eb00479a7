package tokenizer

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpe is byte-pair encoding: merge the adjacent pair of lowest rank, the
// leftmost first, until no pair has a rank.
type bpe struct {
	vocab
	merges       map[[2]int]merge
	endSuffix    string
	contSuffix   string
	byteFallback bool
	ignoreMerges bool
	fuse         bool
	byteIDs      [256]int // <0xXX> tokens, -1 where missing
	// splitMeta: no merge joins a symbol ending in another character to
	// one starting with SentencePiece's ▁, so a word is merged part by part,
	// cut before each ▁ that follows another character (Llama's whole text
	// is one word: this keeps it linear and cacheable).
	splitMeta bool

	mu    sync.RWMutex
	cache map[string][]piece
}

type merge struct{ rank, id int }

// piece is one token of a word: its id (or -1) and its code point range.
type piece struct{ id, start, end int }

const bpeCacheSize = 10000

func newBPE(c modelConfig) (*bpe, error) {
	v, err := newVocab(c.Vocab, c.UnkToken)
	if err != nil {
		return nil, err
	}
	b := &bpe{vocab: v, byteFallback: c.ByteFallback, ignoreMerges: c.IgnoreMerges, fuse: c.FuseUnk,
		cache: make(map[string][]piece)}
	if c.EndOfWordSuffix != nil {
		b.endSuffix = *c.EndOfWordSuffix
	}
	if c.ContinuingSubwordSuffix != nil {
		b.contSuffix = *c.ContinuingSubwordSuffix
	}
	pairs, err := readMerges(c.Merges)
	if err != nil {
		return nil, err
	}
	b.merges = make(map[[2]int]merge, len(pairs))
	b.splitMeta = b.endSuffix == "" && b.contSuffix == "" && !b.ignoreMerges
	for rank, p := range pairs {
		if strings.HasPrefix(p[1], meta) && strings.Trim(p[0], meta) != "" {
			b.splitMeta = false
		}
		l, okl := v.ids[p[0]]
		r, okr := v.ids[p[1]]
		if !okl || !okr {
			continue // a pair of tokens the vocabulary lacks can never be formed
		}
		key := [2]int{l, r}
		if _, dup := b.merges[key]; dup {
			continue
		}
		id, ok := v.ids[p[0]+p[1]]
		if !ok {
			id = -1
		}
		b.merges[key] = merge{rank, id}
	}
	for i := range b.byteIDs {
		b.byteIDs[i] = -1
		if id, ok := v.ids[fmt.Sprintf("<0x%02X>", i)]; ok {
			b.byteIDs[i] = id
		}
	}
	return b, nil
}

// readMerges accepts both layouts: ["a b", ...] and [["a", "b"], ...].
func readMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var pairs [][2]string
	if s := bytes.TrimLeft(raw[1:], " \t\r\n"); len(s) > 0 && s[0] == '[' {
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, fmt.Errorf("reading the merges: %w", err)
		}
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("reading the merges: %w", err)
	}
	pairs = make([][2]string, len(lines))
	for i, l := range lines {
		a, b, _ := strings.Cut(l, " ")
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

func (b *bpe) encode(words []atext, out []token, stop int) []token {
	if b.splitMeta {
		words = splitBeforeMeta(words)
	}
	return encodeFused(words, out, stop, &b.vocab, b.fuse, b.word)
}

const meta = "\u2581"

// splitBeforeMeta cuts words before each ▁ that follows another character.
func splitBeforeMeta(words []atext) []atext {
	var out []atext
	for _, w := range words {
		start := 0
		for i := 1; i < len(w.r); i++ {
			if w.r[i] == '\u2581' && w.r[i-1] != '\u2581' {
				out = append(out, w.slice(start, i))
				start = i
			}
		}
		out = append(out, w.slice(start, len(w.r)))
	}
	return out
}

func (b *bpe) word(w atext, out []token) []token {
	if len(w.r) == 0 {
		return out
	}
	s := string(w.r)
	if b.ignoreMerges {
		if id, ok := b.ids[s]; ok {
			return append(out, token{value: s, id: id, off: w.cover(0, len(w.r))})
		}
	}
	for _, p := range b.pieces(s, w.r) {
		val := string(w.r[p.start:p.end])
		if b.contSuffix != "" && p.end < len(w.r) {
			val += b.contSuffix
		}
		if b.endSuffix != "" && p.end == len(w.r) {
			val += b.endSuffix
		}
		id := p.id
		if b.contSuffix != "" && p.end < len(w.r) {
			var ok bool
			if id, ok = b.ids[val]; !ok {
				id = -1
			}
		}
		if id >= 0 {
			out = append(out, token{value: val, id: id, off: w.cover(p.start, p.end)})
			continue
		}
		out = b.unknown(val, w.cover(p.start, p.end), out)
	}
	return out
}

// unknown is a piece outside the vocabulary: its UTF-8 bytes as <0xXX>
// tokens when the model falls back to bytes and has them all, else the
// unknown token (if the model has one).
func (b *bpe) unknown(val string, off span, out []token) []token {
	if b.byteFallback {
		all := true
		for i := 0; i < len(val); i++ {
			if b.byteIDs[val[i]] < 0 {
				all = false
				break
			}
		}
		if all {
			for i := 0; i < len(val); i++ {
				out = append(out, token{value: fmt.Sprintf("<0x%02X>", val[i]), id: b.byteIDs[val[i]], off: off})
			}
			return out
		}
	}
	if b.unkTok != "" {
		return append(out, token{value: b.unkTok, id: b.unk, off: off})
	}
	return out
}

func (b *bpe) pieces(s string, r []rune) []piece {
	b.mu.RLock()
	ps, ok := b.cache[s]
	b.mu.RUnlock()
	if ok {
		return ps
	}
	ps = b.merge(r)
	if utf8.RuneCountInString(s) < 256 {
		b.mu.Lock()
		if len(b.cache) >= bpeCacheSize {
			clear(b.cache)
		}
		b.cache[s] = ps
		b.mu.Unlock()
	}
	return ps
}

type sym struct {
	id, start, end int
	prev, next     int
	dead           bool
}

type cand struct{ rank, left, right, lid, rid int }

type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].left < h[j].left
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (b *bpe) merge(r []rune) []piece {
	syms := make([]sym, len(r))
	var buf [utf8.UTFMax]byte
	for i, c := range r {
		n := utf8.EncodeRune(buf[:], c)
		id, ok := b.ids[string(buf[:n])]
		if !ok {
			id = -1
		}
		syms[i] = sym{id: id, start: i, end: i + 1, prev: i - 1, next: i + 1}
	}
	if b.endSuffix != "" {
		// transformers.js appends the suffix to the last character before merging
		last := &syms[len(syms)-1]
		if id, ok := b.ids[string(r[len(r)-1])+b.endSuffix]; ok {
			last.id = id
		} else {
			last.id = -1
		}
	}
	syms[len(syms)-1].next = -1
	h := &candHeap{}
	push := func(l int) {
		rgt := syms[l].next
		if rgt < 0 || syms[l].id < 0 || syms[rgt].id < 0 {
			return
		}
		if m, ok := b.merges[[2]int{syms[l].id, syms[rgt].id}]; ok {
			heap.Push(h, cand{m.rank, l, rgt, syms[l].id, syms[rgt].id})
		}
	}
	for i := 0; i+1 < len(syms); i++ {
		push(i)
	}
	for h.Len() > 0 {
		c := heap.Pop(h).(cand)
		l, rg := &syms[c.left], &syms[c.right]
		if l.dead || rg.dead || l.next != c.right || l.id != c.lid || rg.id != c.rid {
			continue
		}
		l.id = b.merges[[2]int{c.lid, c.rid}].id
		l.end = rg.end
		l.next = rg.next
		rg.dead = true
		if l.next >= 0 {
			syms[l.next].prev = c.left
		}
		if l.id < 0 {
			// the merged string is not in the vocabulary; it can merge no further
			continue
		}
		if l.prev >= 0 {
			push(l.prev)
		}
		push(c.left)
	}
	out := make([]piece, 0, len(syms))
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		out = append(out, piece{syms[i].id, syms[i].start, syms[i].end})
	}
	return out
}
