package model

import (
	"context"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// Codec costs per item, to compare with BenchmarkRun*: the pipeline is only
// as fast as Run if these stay small beside it.
func BenchmarkPreprocessIrisList(b *testing.B) {
	benchPreprocess(b, "iris-rf", irisJSON([]float32{6.7, 3.0, 5.2, 2.3}, false))
}

func BenchmarkPreprocessIrisNamed(b *testing.B) {
	benchPreprocess(b, "iris-rf", irisJSON([]float32{6.7, 3.0, 5.2, 2.3}, true))
}

func BenchmarkPreprocessRecPNG(b *testing.B) {
	benchPreprocess(b, "ppocr-rec", textimg.PNG("Invoice 2026-11-27 $12.50", textimg.Options{}))
}

func benchPreprocess(b *testing.B, name string, input []byte) {
	m := load(b, name)
	for b.Loop() {
		if _, err := m.Preprocess(input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPostprocessIris(b *testing.B) {
	benchPostprocess(b, "iris-rf", irisJSON([]float32{6.7, 3.0, 5.2, 2.3}, false))
}

func BenchmarkPostprocessRec(b *testing.B) {
	benchPostprocess(b, "ppocr-rec", textimg.PNG("Invoice 2026-11-27 $12.50", textimg.Options{}))
}

func benchPostprocess(b *testing.B, name string, input []byte) {
	m := load(b, name)
	r, err := m.Preprocess(input)
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
}
