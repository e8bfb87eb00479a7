package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/batchinfer/batchinfer/tensor"
)

// classifier turns a probability (or logit) vector into label, score and
// top_k.
type classifier struct {
	out     int
	labels  []string
	softmax bool
	topK    int
}

func newClassifier(m Manifest) (*classifier, error) {
	p := m.Postprocess
	out, err := probOutput(m)
	if err != nil {
		return nil, err
	}
	topK := p.TopK
	if topK <= 0 || topK > len(m.Labels) {
		topK = min(5, len(m.Labels))
	}
	return &classifier{out: out, labels: m.Labels, softmax: p.Softmax, topK: topK}, nil
}

// probOutput finds postprocess.output (default: the only output) and checks
// that its class dim matches the labels.
func probOutput(m Manifest) (int, error) {
	name := m.Postprocess.Output
	if name == "" && len(m.Outputs) == 1 {
		name = m.Outputs[0].Name
	}
	i, ok := m.output(name)
	if !ok {
		return 0, fmt.Errorf("postprocess.output %q is not one of the manifest outputs", name)
	}
	s := m.Outputs[i].Shape
	if len(s) != 2 {
		return 0, fmt.Errorf("postprocess.output %q needs shape [-1, classes], manifest says %v", name, s)
	}
	if len(m.Labels) == 0 || (s[1] > 0 && int64(len(m.Labels)) != s[1]) {
		return 0, fmt.Errorf("labels has %d names but outputs[%d].shape[1] is %d", len(m.Labels), i, s[1])
	}
	return i, nil
}

func (c *classifier) postprocess(outputs []Tensor) (map[string]any, error) {
	probs, err := classRow(outputs[c.out], len(c.labels))
	if err != nil {
		return nil, err
	}
	if c.softmax {
		probs = softmax(probs)
	}
	order := argsortDesc(probs)
	// Plain maps and slices, not a struct: results also go through
	// DynamoDB's attributevalue, which ignores json tags.
	top := make([]any, c.topK)
	for i := range top {
		top[i] = map[string]any{"label": c.labels[order[i]], "score": round6(probs[order[i]])}
	}
	best := order[0]
	return map[string]any{"label": c.labels[best], "score": round6(probs[best]), "top_k": top}, nil
}

func classRow(t Tensor, classes int) ([]float64, error) {
	data := tensor.AsFloat32(t)
	if len(data) != classes {
		return nil, fmt.Errorf("output row has %d values (shape %v); the manifest has %d labels", len(data), t.Shape, classes)
	}
	p := make([]float64, classes)
	for i, x := range data {
		if math.IsNaN(float64(x)) {
			return nil, fmt.Errorf("output row holds NaN")
		}
		p[i] = float64(x)
	}
	return p, nil
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	out := make([]float64, len(x))
	sum := 0.0
	for i, v := range x {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// argsortDesc orders indices by descending value; ties keep class order so
// results are deterministic.
func argsortDesc(x []float64) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	return idx
}

// round6 keeps results readable in JSON; float32 outputs carry no more.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
