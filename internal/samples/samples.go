// Package samples makes realistic encoded inputs for a model (rendered text
// lines as PNG, iris-like feature rows as JSON) for benchmarks and tests,
// and writes them as files for `batchinfer bench --inputs`. It renders
// with Go's fonts, so production code never imports it: the Lambda
// bootstrap stays free of test fixtures.
package samples

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/model"
)

// Sample is one generated input and, for text, what it says.
type Sample struct {
	Name string
	Data []byte
	Text string // the rendered text for image inputs
}

// Inputs makes n realistic encoded inputs for a model with manifest man,
// deterministic for a seed: rendered text lines (PNG, several fonts) for
// image models, iris-like feature rows (JSON) for tabular ones. Benchmarks
// and the end-to-end tests feed these through the real decoders.
func Inputs(man model.Manifest, n int, seed int64) ([]Sample, error) {
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
			return nil, fmt.Errorf("model %s: cannot tell its feature count", man.Name)
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
	return nil, fmt.Errorf("model %s: no sample generator for preprocess kind %q", man.Name, man.Preprocess.Kind)
}

// TextsFile is the sidecar WriteDir writes beside rendered lines: a JSON
// object from file name to the text it shows. Its leading underscore tells
// readers of inputs to pass it over.
const TextsFile = "_texts.json"

// WriteDir writes each sample as dir/NAME, creating dir, and for rendered
// text the TextsFile.
func WriteDir(dir string, ss []Sample) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	texts := map[string]string{}
	for _, s := range ss {
		if err := os.WriteFile(filepath.Join(dir, s.Name), s.Data, 0o644); err != nil {
			return fmt.Errorf("write samples: %w", err)
		}
		if s.Text != "" {
			texts[s.Name] = s.Text
		}
	}
	if len(texts) == 0 {
		return nil
	}
	b, _ := json.MarshalIndent(texts, "", " ")
	if err := os.WriteFile(filepath.Join(dir, TextsFile), b, 0o644); err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	return nil
}
