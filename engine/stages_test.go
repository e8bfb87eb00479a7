package engine

import (
	"context"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
)

// ppocrPage loads the page pipeline once per test binary.
var ppocrPage = testenv.Shared("load ppocr-page", func() (*model.Model, error) {
	return model.Load(testenv.CacheDir()+"/models/ppocr-page", model.Options{})
})

func blankPage(t *testing.T) []byte {
	return encodePNG(t, textimg.Blank(500, 300))
}

func TestPipelineReadsPagesBatchedAcrossPages(t *testing.T) {
	m := ppocrPage(t)
	eng := newEngine(t, m)
	pages := textimg.Pages(40, 11)
	var items []Item
	for _, p := range pages {
		items = append(items, bytesItem(m, p.Data))
	}
	bad := []struct {
		data []byte
		want jobs.Code
	}{
		{pages[0].Data[:len(pages[0].Data)/3], jobs.CodeUndecodableImage},
		{pngHeader(100000, 100000), jobs.CodeImageTooLarge},
		{[]byte("%PDF-1.7 not a document"), jobs.CodeUndecodableDocument},
		{append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...), jobs.CodeUnsupportedFormat},
		{nil, jobs.CodeEmptyInput},
	}
	items = append(items, bytesItem(m, blankPage(t)))
	for _, b := range bad {
		items = append(items, bytesItem(m, b.data))
	}
	preds := eng.Predict(context.Background(), items)

	var sum textimg.PageScore
	perPageRuns := 0
	for i, p := range pages {
		if preds[i].Err != nil {
			t.Fatalf("%s: %v", p.Name, preds[i].Err)
		}
		s := textimg.Score(p, textimg.ReadLines(preds[i].Output))
		if s.Matched < s.Truth || s.Got > s.Truth || s.BadBoxes > 0 || s.OutOfOrder > 0 {
			t.Logf("%s: %+v", p.Name, s)
			for _, g := range textimg.ReadLines(preds[i].Output) {
				t.Logf("  read %q %v", g.Text, g.Box)
			}
			for _, l := range p.Lines {
				t.Logf("  truth %q %v", l.Text, l.Box)
			}
		}
		sum.Truth, sum.Got, sum.Matched = sum.Truth+s.Truth, sum.Got+s.Got, sum.Matched+s.Matched
		sum.OutOfOrder, sum.BadBoxes = sum.OutOfOrder+s.OutOfOrder, sum.BadBoxes+s.BadBoxes
		perPageRuns += (s.Got + m.Stages()[2].MaxBatch() - 1) / m.Stages()[2].MaxBatch()
	}
	recall, precision := float64(sum.Matched)/float64(sum.Truth), float64(sum.Matched)/float64(sum.Got)
	t.Logf("%d pages, %d lines: recall %.3f, precision %.3f, %d out of order, %d bad boxes", len(pages), sum.Truth, recall, precision, sum.OutOfOrder, sum.BadBoxes)
	if recall < 0.92 || precision < 0.92 {
		t.Errorf("recall %.3f and precision %.3f must both be at least 0.92", recall, precision)
	}
	if sum.OutOfOrder > 0 || sum.BadBoxes > 0 {
		t.Errorf("%d matched lines out of reading order, %d boxes not inside the page around their text", sum.OutOfOrder, sum.BadBoxes)
	}

	blank := preds[len(pages)]
	if blank.Err != nil || blank.Output["line_count"] != 0 || blank.Output["text"] != "" {
		t.Errorf("blank page: %v %v, want zero lines", blank.Err, blank.Output)
	}
	for k, b := range bad {
		if got := jobs.CodeOf(preds[len(pages)+1+k].Err); got != b.want {
			t.Errorf("bad page %d: code %q, want %q (%v)", k, got, b.want, preds[len(pages)+1+k].Err)
		}
	}

	// The crops of all pages share recognition runs: fewer runs than
	// reading each page on its own would take, and full ones.
	rec := preds[0].Stages[2]
	t.Logf("stages: %+v", preds[0].Stages)
	if rec.Rows < sum.Got || rec.Runs >= perPageRuns {
		t.Errorf("rec ran %d rows in %d runs; page by page would take %d runs", rec.Rows, rec.Runs, perPageRuns)
	}
	if fill := float64(rec.Rows) / float64(rec.Runs*rec.MaxBatch); fill < 0.8 {
		t.Errorf("rec runs are %.0f%% full; packing across pages should fill them", 100*fill)
	}
}

// Documents go through a pipeline page by page: two scanned 4-page PDFs
// and a PNG in one call answer per page (the PNG as a picture), and the crops of
// every page of both documents share recognition runs. The three share one
// window of pages (two pages each), so detection takes two rounds.
func TestPipelineReadsDocumentsSharingRuns(t *testing.T) {
	m := ppocrPage(t)
	eng := newEngine(t, m)
	pages := textimg.Pages(9, 17)
	preds := eng.Predict(context.Background(), []Item{bytesItem(m, textimg.ScannedPDF(t, pages[:4]...)),
		bytesItem(m, textimg.ScannedPDF(t, pages[4:8]...)), bytesItem(m, pages[8].Data)})
	lines, perPageRuns, truth, matched := 0, 0, 0, 0
	read := m.Stages()[2].MaxBatch()
	for d, want := range [][]textimg.Page{pages[:4], pages[4:8]} {
		if preds[d].Err != nil {
			t.Fatalf("document %d: %v", d, preds[d].Err)
		}
		got := preds[d].Output["pages"].([]any)
		if len(got) != len(want) {
			t.Fatalf("document %d: %d pages, want %d", d, len(got), len(want))
		}
		for i, p := range want {
			g := textimg.ReadLines(got[i].(map[string]any))
			s := textimg.Score(p, g)
			truth, matched = truth+s.Truth, matched+s.Matched
			lines += len(g)
			perPageRuns += (len(g) + read - 1) / read
		}
	}
	if recall := float64(matched) / float64(truth); recall < 0.85 {
		t.Errorf("read %d of %d lines of the documents' pages exactly", matched, truth)
	}
	if preds[2].Err != nil || preds[2].Output["pages"] != nil || preds[2].Output["lines"] == nil {
		t.Errorf("the PNG beside the documents: %v %v, want a picture's output", preds[2].Err, preds[2].Output)
	}
	rec := preds[0].Stages[2]
	if rec.Rows < lines || rec.Runs >= perPageRuns {
		t.Errorf("rec ran %d rows in %d runs; page by page would take %d runs", rec.Rows, rec.Runs, perPageRuns)
	}
}
