package worker

import (
	"encoding/json"
	"fmt"
	"math/rand"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/model"
)

// Sample is one generated input and, for text, what it says.
type Sample struct {
	Name string
	Data []byte
	Text string // the rendered text for image inputs
}

// SampleInputs makes n realistic encoded inputs for m, deterministic for a
// seed: rendered text lines (PNG, several fonts) for image models, iris-like
// feature rows (JSON) for tabular ones. Benchmarks, the demo and the
// end-to-end tests feed these through the real decoders.
func SampleInputs(m *model.Model, n int, seed int64) ([]Sample, error) {
	man := m.Manifest()
	switch man.Preprocess.Kind {
	case "image", "text_line":
		lines := textimg.Corpus(n, seed)
		out := make([]Sample, n)
		for i, l := range lines {
			f := textimg.Fonts[i%len(textimg.Fonts)]
			out[i] = Sample{Name: fmt.Sprintf("line-%04d.png", i), Data: textimg.PNG(l, textimg.Options{Font: f}), Text: l}
		}
		return out, nil
	case "tabular":
		nf := len(man.Preprocess.Features)
		if nf == 0 && len(man.Inputs) > 0 && len(man.Inputs[0].Shape) == 2 {
			nf = int(man.Inputs[0].Shape[1])
		}
		if nf <= 0 {
			return nil, fmt.Errorf("model %s: cannot tell its feature count", m.Name())
		}
		r := rand.New(rand.NewSource(seed))
		// Iris-scale values: centimetres between 0.1 and 8.
		out := make([]Sample, n)
		for i := range out {
			f := make([]float64, nf)
			for j := range f {
				f[j] = float64(int((0.1+r.Float64()*7.8)*10)) / 10
			}
			b, _ := json.Marshal(map[string]any{"features": f})
			out[i] = Sample{Name: fmt.Sprintf("row-%04d.json", i), Data: b}
		}
		return out, nil
	}
	return nil, fmt.Errorf("model %s: no sample generator for preprocess kind %q", m.Name(), man.Preprocess.Kind)
}
