package model

import (
	"context"
	"fmt"
	"math"
	"testing"
)

var irisRows = []struct {
	features []float32
	species  string // "" when the row is only for batch invariance
}{
	{[]float32{5.1, 3.5, 1.4, 0.2}, "setosa"},
	{[]float32{4.9, 3.0, 1.4, 0.2}, "setosa"},
	{[]float32{7.0, 3.2, 4.7, 1.4}, "versicolor"},
	{[]float32{5.7, 2.8, 4.1, 1.3}, "versicolor"},
	{[]float32{6.7, 3.0, 5.2, 2.3}, "virginica"},
	{[]float32{6.3, 3.3, 6.0, 2.5}, "virginica"},
	{[]float32{6.0, 2.7, 5.1, 1.6}, ""},
	{[]float32{4.5, 2.3, 1.3, 0.3}, ""},
	{[]float32{6.2, 2.2, 4.5, 1.5}, ""},
}

func irisJSON(f []float32, named bool) []byte {
	if named {
		return fmt.Appendf(nil, `{"features": {"petal_width": %g, "sepal_length": %g, "sepal_width": %g, "petal_length": %g}}`, f[3], f[0], f[1], f[2])
	}
	return fmt.Appendf(nil, `{"features": [%g, %g, %g, %g]}`, f[0], f[1], f[2], f[3])
}

func TestTabularBatchedEqualsUnbatched(t *testing.T) {
	m := load(t, "iris-rf")
	var rows []Tensor
	for i, r := range irisRows {
		row, err := m.Preprocess(irisJSON(r.features, i%2 == 1))
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		rows = append(rows, row)
	}
	single := make([]map[string]any, len(rows))
	for i, r := range rows {
		single[i] = runOne(t, m, []Tensor{r}, 0)
	}
	outs, err := m.Run(context.Background(), stack(t, rows, m.PadValue(), m.PadMultiple()))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range irisRows {
		batched, err := m.Postprocess(row(outs, i))
		if err != nil {
			t.Fatal(err)
		}
		if batched["label"] != single[i]["label"] {
			t.Errorf("row %d: batched %v, unbatched %v", i, batched["label"], single[i]["label"])
		}
		bp, sp := batched["probabilities"].(map[string]float64), single[i]["probabilities"].(map[string]float64)
		sum := 0.0
		for label, p := range sp {
			if math.Abs(bp[label]-p) > 1e-4 {
				t.Errorf("row %d %s: batched %v, unbatched %v", i, label, bp[label], p)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-3 {
			t.Errorf("row %d: probabilities sum to %v", i, sum)
		}
		if r.species != "" && single[i]["label"] != r.species {
			t.Errorf("row %d %v: got %v, want %s", i, r.features, single[i]["label"], r.species)
		}
	}
}

// runOne runs rows as one batch and postprocesses row n.
func runOne(t *testing.T, m *Model, rows []Tensor, n int) map[string]any {
	t.Helper()
	outs, err := m.Run(context.Background(), stack(t, rows, m.PadValue(), m.PadMultiple()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Postprocess(row(outs, n))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunRejectsMalformedBatch(t *testing.T) {
	m := load(t, "iris-rf")
	for _, tc := range []struct {
		name  string
		batch Tensor
	}{
		{"wrong rank", Tensor{Shape: []int64{4}, Data: make([]float32, 4)}},
		{"wrong feature dim", Tensor{Shape: []int64{1, 5}, Data: make([]float32, 5)}},
		{"data size", Tensor{Shape: []int64{2, 4}, Data: make([]float32, 4)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.Run(context.Background(), tc.batch); err == nil {
				t.Fatal("Run accepted a malformed batch")
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Run(ctx, Tensor{Shape: []int64{1, 4}, Data: make([]float32, 4)}); err == nil {
		t.Fatal("Run ran with a cancelled context")
	}
}
