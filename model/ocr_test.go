package model

import (
	"context"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// ocrLines renders n corpus lines, cycling through the Go fonts and a few
// sizes, as PNG files.
func ocrLines(n int) (texts []string, pngs [][]byte) {
	texts = textimg.Corpus(n, 2026)
	sizes := []float64{28, 32, 36}
	for i, s := range texts {
		opts := textimg.Options{Font: textimg.Fonts[i%len(textimg.Fonts)], Size: sizes[i%len(sizes)]}
		pngs = append(pngs, textimg.PNG(s, opts))
	}
	return texts, pngs
}

// sampleSize is how many corpus lines an accuracy test reads: full, or
// short under -short (`go tool task test:arm64` runs this package under
// qemu-user, where one recognition takes seconds). The thresholds stay the
// same; a short sample of 40 holds every line kind of the corpus (8) in every
// font (5) once.
func sampleSize(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// recognise runs rows through the model in batches of size bs and returns
// the text of each.
func recognise(t *testing.T, m *Model, rows []Tensor, bs int) []string {
	t.Helper()
	var out []string
	for start := 0; start < len(rows); start += bs {
		chunk := rows[start:min(start+bs, len(rows))]
		outs, err := m.Run(context.Background(), stack(t, chunk, m.PadValue(), m.PadMultiple()))
		if err != nil {
			t.Fatalf("run batch at %d: %v", start, err)
		}
		for i := range chunk {
			res, err := m.Postprocess(row(outs, i))
			if err != nil {
				t.Fatalf("postprocess row %d: %v", start+i, err)
			}
			out = append(out, res["text"].(string))
		}
	}
	return out
}

func TestOCRAccuracyAndBatchInvariance(t *testing.T) {
	m := load(t, "ppocr-rec")
	texts, pngs := ocrLines(sampleSize(200, 40))
	rows := make([]Tensor, len(pngs))
	for i, p := range pngs {
		r, err := m.Preprocess(p)
		if err != nil {
			t.Fatalf("preprocess line %d %q: %v", i, texts[i], err)
		}
		rows[i] = r
	}
	one := recognise(t, m, rows, 1)
	many := recognise(t, m, rows, 32)
	correct := 0
	for i, want := range texts {
		want = strings.TrimSpace(want)
		if one[i] == want {
			correct++
		} else {
			t.Logf("line %d (%s): want %q, got %q", i, textimg.Fonts[i%len(textimg.Fonts)], want, one[i])
		}
		if one[i] != many[i] {
			t.Errorf("line %d: batch 1 gave %q, batch 32 gave %q", i, one[i], many[i])
		}
	}
	acc := float64(correct) / float64(len(texts))
	t.Logf("exact-match accuracy %.1f%% (%d/%d)", 100*acc, correct, len(texts))
	if acc < 0.95 {
		t.Errorf("accuracy %.1f%% is under 95%%", 100*acc)
	}
}
