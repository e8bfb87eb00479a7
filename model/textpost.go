package model

import (
	"fmt"
	"math"
	"slices"
)

// Text postprocessing: pure functions over one row's output floats, as the
// Hugging Face pipelines (transformers.js, the reference here) compute them.

// Pooling turns a row's token vectors into one vector.
type Pooling string

// The poolings sentence-transformers configs and manifests name.
const (
	PoolMean Pooling = "mean" // average over the attention mask (the default)
	PoolCLS  Pooling = "cls"  // the first token
	PoolMax  Pooling = "max"  // per dimension, the largest over the mask
	PoolLast Pooling = "last" // the last token the mask keeps (decoder embedders: Qwen3-Embedding)
)

// ParsePooling accepts the manifest's names and transformers.js's aliases.
func ParsePooling(s string) (Pooling, error) {
	switch s {
	case "", "mean", "mean_tokens":
		return PoolMean, nil
	case "cls", "first_token", "cls_token":
		return PoolCLS, nil
	case "max", "max_tokens":
		return PoolMax, nil
	case "last", "last_token", "lasttoken", "eos":
		return PoolLast, nil
	}
	return "", fmt.Errorf("pooling %q is not one of mean, cls, max, last", s)
}

// pool reduces hidden ([seq, dim] row-major) over the positions mask keeps
// (mask may be longer or shorter than seq: positions past either end count as
// masked). A row the mask keeps nothing of pools to zeros.
func pool(hidden []float32, dim int, mask []int64, p Pooling) []float32 {
	seq := len(hidden) / dim
	kept := func(j int) bool { return j < len(mask) && mask[j] != 0 }
	out := make([]float32, dim)
	switch p {
	case PoolCLS:
		if seq > 0 {
			copy(out, hidden[:dim])
		}
	case PoolLast:
		for j := seq - 1; j >= 0; j-- {
			if kept(j) {
				copy(out, hidden[j*dim:(j+1)*dim])
				break
			}
		}
	case PoolMax:
		first := true
		for j := range seq {
			if !kept(j) {
				continue
			}
			for k, v := range hidden[j*dim : (j+1)*dim] {
				if first || v > out[k] {
					out[k] = v
				}
			}
			first = false
		}
	default:
		sum := make([]float64, dim)
		n := 0
		for j := range seq {
			if !kept(j) {
				continue
			}
			n++
			for k, v := range hidden[j*dim : (j+1)*dim] {
				sum[k] += float64(v)
			}
		}
		for k := range out {
			if n > 0 {
				out[k] = float32(sum[k] / float64(n))
			}
		}
	}
	return out
}

// l2Normalize scales v to unit length in place; a zero vector stays zero.
func l2Normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}

// labelScore is one label's probability.
type labelScore struct {
	Label string
	Score float64
}

// scoreLabels turns one row's logits into every label's probability —
// sigmoid per label for multi-label models, else softmax — highest first
// (ties keep label order), cut to topK when topK > 0.
func scoreLabels(logits []float32, labels []string, sigmoid bool, topK int) ([]labelScore, error) {
	if len(logits) != len(labels) {
		return nil, fmt.Errorf("output row has %d logits for %d labels", len(logits), len(labels))
	}
	p := make([]float64, len(logits))
	for i, x := range logits {
		if math.IsNaN(float64(x)) {
			return nil, fmt.Errorf("output row holds NaN")
		}
		p[i] = float64(x)
	}
	if sigmoid {
		for i, x := range p {
			p[i] = 1 / (1 + math.Exp(-x))
		}
	} else {
		p = softmax(p)
	}
	out := make([]labelScore, len(p))
	for i, s := range p {
		out[i] = labelScore{labels[i], s}
	}
	slices.SortStableFunc(out, func(a, b labelScore) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if topK > 0 && topK < len(out) {
		out = out[:topK]
	}
	return out, nil
}

// Token is what token classification needs to know of one position of a
// row's ids: its id, the word the pipeline shows for it (the tokenizer's
// decoding of that id alone; "" for a special token, which is never an
// entity), and its character offsets into the text.
type Token struct {
	ID         int
	Word       string
	Start, End int
}

// Entity is one token's label (aggregation none).
type Entity struct {
	Entity string
	Score  float64
	Index  int // position in the row's ids
	Word   string
	Start  int
	End    int
}

// tokenEntities labels each token with its most likely class (the first on a
// tie), leaving out the labels in ignore ("O") and special tokens, as the
// token-classification pipeline's aggregation "none" does. logits holds
// [len(tokens) or more, len(labels)] row-major; positions past tokens are
// padding.
func tokenEntities(logits []float32, labels []string, tokens []Token, ignore []string) ([]Entity, error) {
	n := len(labels)
	if n == 0 || len(logits)%n != 0 || len(logits)/n < len(tokens) {
		return nil, fmt.Errorf("output row has %d values for %d tokens × %d labels", len(logits), len(tokens), n)
	}
	var out []Entity
	row := make([]float64, n)
	for j, tok := range tokens {
		for k, x := range logits[j*n : (j+1)*n] {
			row[k] = float64(x)
		}
		best := 0
		for k, x := range row {
			if x > row[best] {
				best = k
			}
		}
		if slices.Contains(ignore, labels[best]) || tok.Word == "" {
			continue
		}
		out = append(out, Entity{labels[best], softmax(row)[best], j, tok.Word, tok.Start, tok.End})
	}
	return out, nil
}

// EntityGroup is a span of tokens sharing one entity type (aggregation
// "simple").
type EntityGroup struct {
	Group string
	Score float64 // the mean of its tokens' scores
	Word  string
	Start int
	End   int
}

// bioTag splits "B-PER" into ("B", "PER"); a label without a B/I/E/S prefix
// is an inside tag of its own type, as the pipeline reads it.
func bioTag(entity string) (string, string) {
	if len(entity) >= 2 && entity[1] == '-' && (entity[0] == 'B' || entity[0] == 'I' || entity[0] == 'E' || entity[0] == 'S') {
		return entity[:1], entity[2:]
	}
	return "I", entity
}

// groupEntities merges consecutive tokens of one type as the pipeline's
// "simple" strategy does: a B- (or S-) tag opens a group, I-/E- of the open
// type extends it, E- closes it; spell turns a group's token positions into
// its word.
func groupEntities(ents []Entity, spell func(positions []int) string) []EntityGroup {
	type span struct {
		tag        string
		start, end int
	}
	var spans []span
	open := ""
	for i, e := range ents {
		prefix, tag := bioTag(e.Entity)
		if open != "" && open == tag && prefix != "B" && prefix != "S" {
			spans[len(spans)-1].end = i + 1
			if prefix == "E" {
				open = ""
			}
			continue
		}
		spans = append(spans, span{tag, i, i + 1})
		open = tag
		if prefix == "S" {
			open = ""
		}
	}
	out := make([]EntityGroup, len(spans))
	for g, s := range spans {
		var sum float64
		pos := make([]int, 0, s.end-s.start)
		for _, e := range ents[s.start:s.end] {
			sum += e.Score
			pos = append(pos, e.Index)
		}
		first, last := ents[s.start], ents[s.end-1]
		out[g] = EntityGroup{s.tag, sum / float64(s.end-s.start), spell(pos), first.Start, last.End}
	}
	return out
}
