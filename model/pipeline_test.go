package model

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"slices"
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
	for s := range m.Stages() {
		for _, f := range flows {
			runStage(t, m, f, s)
		}
	}
	out := make([]map[string]any, len(flows))
	for i, f := range flows {
		out[i] = f.Result()
	}
	return out
}

// runStage runs stage s of a flow, a run per row, round after round until
// every page or line has been through it.
func runStage(t testing.TB, m *Model, f *Flow, s int) {
	t.Helper()
	st := m.Stages()[s]
	for {
		rows := f.Rows(s)
		outs := make([][]Tensor, len(rows))
		for k, r := range rows {
			res, err := st.Run(context.Background(), stack(t, []Tensor{r}, st.PadValue(), 1))
			if err != nil {
				t.Fatalf("stage %s row %d: %v", st.Name(), k, err)
			}
			outs[k] = row(res, 0)
		}
		if err := f.Take(s, outs); err != nil {
			t.Fatalf("stage %s: %v", st.Name(), err)
		}
		if !f.Pending(s) {
			return
		}
	}
}

func TestPipelinePages(t *testing.T) {
	m := load(t, "ppocr-page")
	blank := textimg.Blank(400, 300)
	// Under -short (qemu) 3 pages, still one of each kind Pages makes: plain,
	// two-column and skewed, JPEG.
	pages := textimg.Pages(sampleSize(6, 3), 7)
	// The first page once more, upside down: the orient stage turns its
	// crops back (its lines then come bottom line first).
	upside := pages[0]
	img, err := png.Decode(bytes.NewReader(upside.Data))
	if err != nil {
		t.Fatal(err)
	}
	data := [][]byte{textimg.EncodePNG(blank), textimg.EncodePNG(textimg.Rotate180(img))}
	for _, p := range pages {
		data = append(data, p.Data)
	}
	res := readPages(t, m, data)
	if n := res[0]["line_count"]; n != 0 || res[0]["text"] != "" {
		t.Errorf("blank page: %v, want no lines", res[0])
	}
	var want, got []string
	for _, l := range upside.Lines {
		want = append(want, l.Text)
	}
	for _, g := range textimg.ReadLines(res[1]) {
		got = append(got, g.Text)
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Errorf("upside-down page read as %q, want %q (bottom up)", got, want)
	}
	for i, p := range pages {
		g := textimg.ReadLines(res[i+2])
		s := textimg.Score(p, g)
		if s.Matched < s.Truth-1 || s.Got > s.Truth || s.OutOfOrder > 0 || s.BadBoxes > 0 {
			t.Errorf("%s: %+v; read %v", p.Name, s, g)
		}
		if n := res[i+2]["line_count"]; n != len(g) {
			t.Errorf("%s: line_count %v for %d lines", p.Name, n, len(g))
		}
	}
}

func TestPipelineManifestMismatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
		want string
	}{
		{"page codec", func(m *Manifest) { m.Preprocess.Kind = "image" }, "preprocess.kind of a pipeline model is \"image\""},
		{"own file", func(m *Manifest) { m.File = "x.onnx" }, "a pipeline model has no file"},
		{"own run limits", func(m *Manifest) { m.Batch.Bucket = 32 }, "a pipeline model's batch holds only max_batch"},
		{"role order", func(m *Manifest) { m.Pipeline[0].Role = RoleRead }, `pipeline[0].role is "read"`},
		{"no read stage", func(m *Manifest) { m.Pipeline = m.Pipeline[:1] }, "needs at least detect and read"},
		{"stage names", func(m *Manifest) { m.Pipeline[1].Name = "det" }, `pipeline[1].name "det" is used twice`},
		{"stage batch", func(m *Manifest) { m.Pipeline[2].Batch.MaxBatch = 0 }, "pipeline[2] (rec): batch.max_batch is 0"},
		{"flip label", func(m *Manifest) { m.Pipeline[1].Postprocess.FlipLabel = "90" }, `flip_label "90" is not one of the labels`},
		{"stage file", func(m *Manifest) { m.Pipeline[2].File = "missing.onnx" }, "stage rec: manifest file"},
		{"det output", func(m *Manifest) { m.Pipeline[0].Outputs[0].Name = "y" }, `stage det: manifest outputs[0].name is "y"`},
		{"det max side", func(m *Manifest) { m.Pipeline[0].Preprocess.MaxSide = 0 }, "preprocess.max_side is 0"},
		{"role codecs", func(m *Manifest) { m.Pipeline[2].Postprocess.Kind = "classification" }, "role read needs preprocess.kind text_line and postprocess.kind ctc"},
		{"rec charset", func(m *Manifest) { m.Pipeline[2].Postprocess.AppendSpace = false }, "1 blank + 6623 charset symbols = 6624"},
	} {
		t.Run(tc.name, func(t *testing.T) { loadRefused(t, modelDirWith(t, "ppocr-page", tc.edit), tc.want) })
	}
}

func TestPipelineEntryPoints(t *testing.T) {
	page, rec := load(t, "ppocr-page"), load(t, "ppocr-rec")
	if !page.IsPipeline() || rec.IsPipeline() || len(page.Stages()) != 3 || page.Stages()[0].Role() != RoleDetect {
		t.Fatalf("IsPipeline/Stages: %v %v %d", page.IsPipeline(), rec.IsPipeline(), len(page.Stages()))
	}
	if page.MaxBatch() != 16 || page.MaxBatchBytes() != page.Stages()[2].MaxBatchBytes() {
		t.Errorf("a pipeline gathers %d pages (manifest: 16), %d bytes", page.MaxBatch(), page.MaxBatchBytes())
	}
	if _, err := page.Preprocess([]byte("x")); err == nil {
		t.Error("Preprocess on a pipeline model succeeded")
	}
	if _, err := page.Run(context.Background(), Tensor{Shape: []int64{1}, Data: []float32{0}}); err == nil {
		t.Error("Run on a pipeline model succeeded")
	}
	if _, err := rec.Start([]byte("x")); err == nil {
		t.Error("Start on a plain model succeeded")
	}
	for _, tc := range []struct {
		data []byte
		code string
	}{
		{nil, codeEmptyInput},
		{[]byte("RIFF0000AVI LIST"), codeUnsupportedFormat},
		{[]byte("GIF89a...."), codeUndecodableImage},
		{textimg.PNG("cut short", textimg.Options{})[:40], codeUndecodableImage},
	} {
		_, err := page.Start(tc.data)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != tc.code {
			t.Errorf("Start(%d bytes): %v, want code %s", len(tc.data), err, tc.code)
		}
	}
}
