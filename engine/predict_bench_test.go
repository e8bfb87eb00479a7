package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/batchinfer/batchinfer/model"
)

// BenchmarkPredictIris is the engine's whole path for 256 tabular items
// of one model: parse, pack, run, split, postprocess.
func BenchmarkPredictIris(b *testing.B) {
	iris := models[0]
	eng, err := New([]*model.Model{iris})
	if err != nil {
		b.Fatal(err)
	}
	items := make([]Item, 256)
	for i := range items {
		items[i] = Item{Model: iris}
		items[i].Data = fmt.Appendf(nil, `{"features": [%d.1, 3.5, 1.4, 0.2]}`, 4+i%4)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range eng.Predict(context.Background(), items) {
			if p.Err != nil {
				b.Fatal(p.Err)
			}
		}
	}
}
