package model

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// readPages runs pages through a pipeline model the plain way: each
// stage's rows of all pages stacked into one run per stage (the worker's
// engine packs them by limits; here one stack keeps the test independent).
func readPages(t testing.TB, m *Model, pages [][]byte) []map[string]any {
	t.Helper()
	flows := make([]*Flow, len(pages))
	for i, p := range pages {
		f, err := m.Start(p)
		if err != nil {
			t.Fatalf("start page %d: %v", i, err)
		}
		flows[i] = f
	}
	for s, st := range m.Stages() {
		for i, f := range flows {
			rows := f.Rows(s)
			outs := make([][]Tensor, len(rows))
			for k, r := range rows {
				res, err := st.Run(context.Background(), stack(t, []Tensor{r}, st.PadValue(), 1))
				if err != nil {
					t.Fatalf("page %d stage %s row %d: %v", i, st.Name(), k, err)
				}
				outs[k] = row(res, 0)
			}
			if err := f.Take(s, outs); err != nil {
				t.Fatalf("page %d stage %s: %v", i, st.Name(), err)
			}
		}
	}
	out := make([]map[string]any, len(flows))
	for i, f := range flows {
		out[i] = f.Result()
	}
	return out
}

func TestPipelinePages(t *testing.T) {
	m := load(t, "ppocr-page")
	blank := image.NewGray(image.Rect(0, 0, 400, 300))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	pages := textimg.Pages(6, 7)
	data := [][]byte{textimg.EncodePNG(blank)}
	for _, p := range pages {
		data = append(data, p.Data)
	}
	res := readPages(t, m, data)
	if n := len(res[0]["lines"].([]any)); n != 0 {
		t.Errorf("blank page: %d lines, want 0: %v", n, res[0])
	}
	for i, p := range pages {
		var got []textimg.Got
		for _, l := range res[i+1]["lines"].([]any) {
			l := l.(map[string]any)
			b := l["box"].([]any)
			got = append(got, textimg.Got{Text: l["text"].(string), Box: [4]int{b[0].(int), b[1].(int), b[2].(int), b[3].(int)}})
		}
		s := textimg.Score(p, got)
		t.Logf("%s: %+v", p.Name, s)
		for j, l := range p.Lines {
			t.Logf("  truth %d %q %v", j, l.Text, l.Box)
		}
		for j, g := range got {
			t.Logf("  got   %d %q %v", j, g.Text, g.Box)
		}
	}
}
