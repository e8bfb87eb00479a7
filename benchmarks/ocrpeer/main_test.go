package main

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

func TestScoreAndReport(t *testing.T) {
	pages := []textimg.Page{{Name: "p.png", W: 300, H: 100, Lines: []textimg.PageLine{
		{Text: "one", Box: image.Rect(10, 10, 60, 30)}, {Text: "two", Box: image.Rect(10, 50, 60, 70)}}}}
	got := [][]textimg.Got{toGot([]pageLine{{Text: "one", Box: []float64{9, 9, 61, 31}}, {Text: "tw0", Box: []float64{9, 49, 61, 71}}})}
	if s := score(pages, got); s.Matched != 1 || s.Truth != 2 || s.Got != 2 || s.BadBoxes != 0 {
		t.Fatalf("score: %+v", s)
	}
	r := result{loadMS: 100, pagesMS: 500, got: got, stats: predictStats{PredictMS: 500,
		Stages: []stageStats{{Name: "det", MaxBatch: 1, Rows: 1, Runs: 1, InferMS: 200}, {Name: "rec", MaxBatch: 8, Rows: 2, Runs: 1, InferMS: 200}},
		Phases: map[string]float64{"decode": 10, "crop": 20, "rec.pre": 70}}}
	var b bytes.Buffer
	report(&b, pages, []result{r}, []result{r})
	out := b.String()
	for _, want := range []string{"| batchinfer ppocr-page | 2.00 | 1.67 | 0.500 | 0.500 |", "| rec | 2 | 1 | 8 | 25% | 200 |",
		"detection 42%, cropping 4%, recognition 54%", `p.png "two" (read: "one", "tw0")`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
