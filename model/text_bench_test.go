package model

import (
	"context"
	"runtime"
	"testing"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textmodels"
	"github.com/batchinfer/batchinfer/tensor"
)

// Text benchmarks over textmodels.Corpus, whose lengths mix sentences,
// paragraphs and texts far over the maximum length, on minilm-l6-bench
// (all-MiniLM-L6-v2's shape: 6 layers, hidden 384, WordPiece).
//
//	go test -run '^$' -bench 'Text' -benchtime 3x ./model/

const (
	benchBatch = 32
	benchModel = "minilm-l6-bench"
	benchTexts = 128
)

// encodeAll tokenizes texts on every CPU, as the engine preprocesses.
func encodeAll(b *testing.B, c *textCodec, texts []string) ([]*TextRow, []batching.Row, int) {
	b.Helper()
	rows := make([]*TextRow, len(texts))
	packRows := make([]batching.Row, len(texts))
	errs := make([]error, len(texts))
	testenv.Parallel(len(texts), runtime.GOMAXPROCS(0), func(i int) {
		rows[i], errs[i] = c.encode([]byte(texts[i]), nil)
	})
	real := 0
	for i, r := range rows {
		if errs[i] != nil {
			b.Fatal(errs[i])
		}
		packRows[i] = batching.Row(r.Inputs)
		real += r.Len()
	}
	return rows, packRows, real
}

func textLimits(c *textCodec) batching.Limits {
	return batching.Limits{MaxBatch: benchBatch, MaxTokens: benchBatch * 128, PadValues: []float64{float64(c.PadID()), 0, 0}}
}

// BenchmarkTextPadding reports padded tokens per real token when packs of
// 32 are cut in arrival order against length packing (batching.PlanRows:
// sorted by length, cut at 32 rows, the token budget and the waste limit).
func BenchmarkTextPadding(b *testing.B) {
	tm := loadTextModel(b, benchModel, nil)
	_, packRows, real := encodeAll(b, tm.codec, textmodels.Corpus(4096))
	arrival := 0
	for i := 0; i < len(packRows); i += benchBatch {
		chunk := packRows[i:min(i+benchBatch, len(packRows))]
		longest := 0
		for _, r := range chunk {
			longest = max(longest, r[0].Len())
		}
		arrival += len(chunk) * longest
	}
	var packs []batching.Pack
	for b.Loop() {
		packs = batching.PlanRows(packRows, textLimits(tm.codec))
	}
	packed := 0
	for _, p := range packs {
		packed += len(p.Rows) * int(p.Shapes[0][1])
	}
	b.ReportMetric(float64(arrival-real)/float64(real), "arrival-pad/real")
	b.ReportMetric(float64(packed-real)/float64(real), "packed-pad/real")
	b.ReportMetric(float64(len(packs)), "packs")
}

// BenchmarkTextPipeline is the whole text path: tokenize, pack by length,
// run, split, pool and normalise.
func BenchmarkTextPipeline(b *testing.B) {
	tm := loadTextModel(b, benchModel, nil)
	texts := textmodels.Corpus(benchTexts)
	ctx := context.Background()
	for b.Loop() {
		rows, packRows, _ := encodeAll(b, tm.codec, texts)
		res := batching.RunRows(ctx, packRows, textLimits(tm.codec), func(ctx context.Context, in []tensor.Tensor) ([]tensor.Tensor, error) {
			return tm.m.RunInputs(ctx, in)
		})
		for i, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			if _, err := tm.codec.postprocess(rows[i], r.Outputs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkTextRawORT runs only ONNX Runtime on the same packed tensors
// the pipeline makes: the pipeline's ceiling.
func BenchmarkTextRawORT(b *testing.B) {
	tm := loadTextModel(b, benchModel, nil)
	texts := textmodels.Corpus(benchTexts)
	_, packRows, _ := encodeAll(b, tm.codec, texts)
	lim := textLimits(tm.codec)
	var batches [][]tensor.Tensor
	for _, p := range batching.PlanRows(packRows, lim) {
		batches = append(batches, batching.AssembleRows(packRows, p, lim))
	}
	ctx := context.Background()
	for b.Loop() {
		for _, in := range batches {
			if _, err := tm.m.RunInputs(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkTextTransformersJS is the reference on the same texts: its
// feature-extraction pipeline (mean pooling, normalised) in calls of 32
// texts, timed inside node after loading, under the same maximum length.
func BenchmarkTextTransformersJS(b *testing.B) {
	tm := loadTextModel(b, benchModel, nil)
	texts := textmodels.Corpus(benchTexts)
	var seconds float64
	for b.Loop() {
		res, err := textmodels.Reference(context.Background(), textmodels.Request{
			Model: tm.m.dir, Task: "feature-extraction", Inputs: inputsOf(texts), Batch: benchBatch, Repeat: 1,
			MaxLength: tm.codec.set.MaxLength, Options: map[string]any{"pooling": "mean", "normalize": true},
		})
		if err != nil {
			b.Fatal(err)
		}
		seconds += res.Seconds
	}
	b.ReportMetric(float64(len(texts)*b.N)/seconds, "texts/s")
}
