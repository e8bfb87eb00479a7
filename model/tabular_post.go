package model

import (
	"fmt"
	"math"

	"github.com/batchinfer/batchinfer/tensor"
)

// tabularPost reads a classifier's predicted class id and its per-class
// probabilities → label, score and probabilities (label → p).
type tabularPost struct {
	label  int // output index of the class id; -1: take the argmax
	prob   int
	labels []string
}

func newTabularPost(m Manifest) (*tabularPost, error) {
	prob, err := probOutput(m)
	if err != nil {
		return nil, err
	}
	t := &tabularPost{label: -1, prob: prob, labels: m.Labels}
	if name := m.Postprocess.LabelOutput; name != "" {
		i, ok := m.output(name)
		if !ok {
			return nil, fmt.Errorf("postprocess.label_output %q is not one of the manifest outputs", name)
		}
		if len(m.Outputs[i].Shape) != 1 {
			return nil, fmt.Errorf("postprocess.label_output %q needs shape [-1], manifest says %v", name, m.Outputs[i].Shape)
		}
		t.label = i
	}
	return t, nil
}

func (t *tabularPost) postprocess(outputs []Tensor) (map[string]any, error) {
	probs, err := classRow(outputs[t.prob], len(t.labels))
	if err != nil {
		return nil, err
	}
	var cls int
	if t.label < 0 {
		cls = argmax(probs)
	} else {
		// Trust the model's own decision: on ties sklearn's pick may differ
		// from our argmax.
		lt := tensor.AsFloat32(outputs[t.label])
		if len(lt) != 1 {
			return nil, fmt.Errorf("label output row has %d values, want 1", len(lt))
		}
		id := float64(lt[0])
		if id != math.Trunc(id) || id < 0 || int(id) >= len(t.labels) {
			return nil, fmt.Errorf("label output %v is not a class id in 0..%d", id, len(t.labels)-1)
		}
		cls = int(id)
	}
	pm := make(map[string]float64, len(t.labels))
	for i, l := range t.labels {
		pm[l] = round6(probs[i])
	}
	return map[string]any{"label": t.labels[cls], "score": round6(probs[cls]), "probabilities": pm}, nil
}

// argmax is the first index of the largest value (what a stable
// descending sort puts first), without sorting: postprocessing a tiny
// tabular row must cost less than the model's run of it.
func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
