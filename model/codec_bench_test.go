package model

import (
	"context"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// codecInput is one input the codec benchmarks measure, by model.
type codecInput struct {
	name, model string
	input       []byte
}

func codecInputs() []codecInput {
	iris := []float32{6.7, 3.0, 5.2, 2.3}
	return []codecInput{
		{"IrisList", "iris-rf", irisJSON(iris, false)},
		{"IrisNamed", "iris-rf", irisJSON(iris, true)},
		{"RecPNG", "ppocr-rec", textimg.PNG("Invoice 2026-11-27 $12.50", textimg.Options{})},
	}
}

// Codec costs per item, to compare with BenchmarkRun*: the pipeline is only
// as fast as Run if these stay small beside it.
func BenchmarkPreprocess(b *testing.B) {
	for _, c := range codecInputs() {
		b.Run(c.name, func(b *testing.B) {
			m := load(b, c.model)
			for b.Loop() {
				if _, err := m.Preprocess(c.input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPostprocess decodes the model's output for each input (both
// iris inputs give the same tensor).
func BenchmarkPostprocess(b *testing.B) {
	for _, c := range codecInputs() {
		b.Run(c.name, func(b *testing.B) {
			m := load(b, c.model)
			r, err := m.Preprocess(c.input)
			if err != nil {
				b.Fatal(err)
			}
			outs, err := m.Run(context.Background(), Tensor{Shape: append([]int64{1}, r.Shape...), Data: r.Data})
			if err != nil {
				b.Fatal(err)
			}
			one := row(outs, 0)
			for b.Loop() {
				if _, err := m.Postprocess(one); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
