package model

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/textimg"
)

// checkPageText scores one page of a document's output against its truth.
func checkPageText(t *testing.T, name string, p textimg.Page, got map[string]any) {
	t.Helper()
	g := textimg.ReadLines(got)
	if s := textimg.Score(p, g); s.Matched < s.Truth-1 || s.Got > s.Truth || s.OutOfOrder > 0 || s.BadBoxes > 0 {
		t.Errorf("%s: %+v; read %v", name, s, g)
	}
}

// A scanned PDF is read page by page through the real page OCR pipeline:
// every page's text where it is, the whole text beside the pages.
func TestPageOCRReadsEveryPDFPage(t *testing.T) {
	m := load(t, "ppocr-page")
	pages := textimg.Pages(3, 21)
	res := readPages(t, m, [][]byte{textimg.ScannedPDF(t, pages...)})[0]
	got := res["pages"].([]any)
	if len(got) != 3 || res["page_count"] != 3 {
		t.Fatalf("%d pages, want 3: %v", len(got), res)
	}
	var texts []string
	for i, p := range pages {
		pg := got[i].(map[string]any)
		// PDF sizes are points: a page comes back within a pixel of its scan.
		if pg["page"] != i+1 || abs(pg["width"].(int)-p.W) > 1 || abs(pg["height"].(int)-p.H) > 1 {
			t.Errorf("page %d: number %v, %v×%v; want %d×%d", i+1, pg["page"], pg["width"], pg["height"], p.W, p.H)
		}
		checkPageText(t, fmt.Sprintf("PDF page %d", i+1), p, pg)
		texts = append(texts, pg["text"].(string))
	}
	if res["text"] != strings.Join(texts, "\n\n") {
		t.Errorf("the whole text is not the pages' texts in order")
	}
}

// A document goes through each stage a round at a time: detection a
// window of pages (the first Rows(0) renders only its own, the rest stay
// unrendered until their turn), the later stages a window of lines. Shared
// among 100 flows, the windows are a page and two lines a round; read so,
// every page is read, the document closed, and the output is the one of
// a flow that has every page and line in one round.
func TestPageOCRReadsADocumentARoundAtATime(t *testing.T) {
	const pages = 5
	m := load(t, "ppocr-page")
	pdf := textimg.ScannedPDF(t, textimg.Pages(pages, 21)...)
	start := func(shared int) *Flow {
		f, err := m.Start(pdf)
		if err != nil {
			t.Fatal(err)
		}
		f.Share(shared)
		return f
	}
	f := start(4) // PageWindow 8 shared by 4: 2 pages a round
	if rows := f.Rows(0); len(rows) != 2 || !f.Pending(0) {
		t.Fatalf("the first window has %d rows, pending %v; want 2, true", len(rows), f.Pending(0))
	}
	for _, p := range f.pages[2:] {
		if p.width != 0 || p.img != nil {
			t.Fatalf("page %d was rendered with the first window", p.number)
		}
	}
	f = start(100)
	runStage(t, m, f, 0)
	if n := len(f.lines()); n < 3 || len(f.Rows(1)) != 2 {
		t.Fatalf("%d lines detected, a round of %d rows; want more than 2, and 2", n, len(f.Rows(1)))
	}
	f = start(100)
	got := runFlow(t, m, f)
	for s := range m.Stages() {
		if f.Pending(s) {
			t.Errorf("stage %d still pending after the run", s)
		}
	}
	if f.doc != nil {
		t.Error("the document is still open after the run")
	}
	if n := len(got["pages"].([]any)); n != pages {
		t.Fatalf("%d pages, want %d", n, pages)
	}
	if want := runFlow(t, m, start(1)); !reflect.DeepEqual(got, want) {
		t.Errorf("read a round at a time:\n%v\nall at once:\n%v", got, want)
	}
}

// A TIFF's pages are read each on its own: a page over the pixel cap is an
// error in its place and the others are read; when no page can be read the
// input fails with the first page's code.
func TestPageOCRTIFFPageErrors(t *testing.T) {
	m := load(t, "ppocr-page")
	pages := textimg.Pages(2, 5)
	dir := t.TempDir()
	for i, p := range pages {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%d.png", i)), p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 8000×6000 blank: 48 million pixels, over the 40 million cap, in a few
	// kilobytes of LZW.
	docmake.Pillow(t, dir, `
big = Image.new("L", (8000, 6000), 255)
p = [Image.open("p0.png").convert("L"), big, Image.open("p1.png").convert("L")]
p[0].save("mixed.tif", save_all=True, append_images=p[1:], compression="tiff_lzw")
big.save("none.tif", save_all=True, append_images=[big], compression="tiff_lzw")
`)
	mixed, _ := os.ReadFile(filepath.Join(dir, "mixed.tif"))
	f, err := m.Start(mixed)
	if err != nil {
		t.Fatal(err)
	}
	res := runFlow(t, m, f)
	got := res["pages"].([]any)
	checkPageText(t, "TIFF page 1", pages[0], got[0].(map[string]any))
	checkPageText(t, "TIFF page 3", pages[1], got[2].(map[string]any))
	if e, _ := got[1].(map[string]any)["error"].(map[string]any); e["code"] != codeImageTooLarge || got[1].(map[string]any)["page"] != 2 {
		t.Errorf("page 2: %v, want an image_too_large error", got[1])
	}
	if f.Err() != nil {
		t.Errorf("a document with pages read failed: %v", f.Err())
	}
	none, _ := os.ReadFile(filepath.Join(dir, "none.tif"))
	f, err = m.Start(none)
	if err != nil {
		t.Fatal(err)
	}
	runFlow(t, m, f)
	if ie, ok := f.Err().(*InputError); !ok || ie.Code != codeImageTooLarge {
		t.Errorf("no page readable: %v, want the first page's image_too_large", f.Err())
	}
}

// runFlow runs one started flow through the stages, a run per row.
func runFlow(t *testing.T, m *Model, f *Flow) map[string]any {
	t.Helper()
	for s := range m.Stages() {
		runStage(t, m, f, s)
	}
	return f.Result()
}

// With text_layer a digital PDF page gives its own text without OCR; a
// scanned page of the same PDF is still read by OCR. Documents over
// max_pages are refused.
func TestPageOCRTextLayerAndMaxPages(t *testing.T) {
	dir := modelDirWith(t, "ppocr-page", func(m *Manifest) { m.Preprocess.TextLayer, m.Preprocess.MaxPages = true, 2 })
	m := loadDir(t, dir)
	scan := textimg.Pages(1, 9)[0]
	lines := []string{"Invoice 2026-0142", "Total due: 1,250.00 EUR"}
	scanned, err := docmake.ScanPage(scan.Data)
	if err != nil {
		t.Fatal(err)
	}
	pdf := docmake.PDF([]docmake.PDFPage{{Lines: lines}, scanned})
	res := readPages(t, m, [][]byte{pdf})[0]
	got := res["pages"].([]any)
	digital := got[0].(map[string]any)
	if digital["text"] != strings.Join(lines, "\n") || digital["source"] != "text_layer" {
		t.Errorf("digital page: %v, want its text layer %q", digital, lines)
	}
	checkPageText(t, "scanned page", scan, got[1].(map[string]any))
	three := docmake.PDF([]docmake.PDFPage{{Lines: lines}, {Lines: lines}, {Lines: lines}})
	if _, err := m.Start(three); err == nil || err.(*InputError).Code != codeTooManyPages {
		t.Errorf("a 3-page PDF over max_pages 2: %v, want too_many_pages", err)
	}
}

func abs(n int) int { return max(n, -n) }

// A plain image model (the direction classifier) answers a PDF per page:
// an upright line and the same line upside down, each page classified.
func TestClassifierReadsEveryPDFPage(t *testing.T) {
	m := load(t, "ppocr-cls")
	line := textimg.Render("Invoice 2026-11-27 total due", textimg.Options{Size: 32})
	var pp []docmake.PDFPage
	for _, img := range []image.Image{line, textimg.Rotate180(line)} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		pp = append(pp, docmake.PDFPage{JPEG: b.Bytes(), Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), DPI: 200})
	}
	rows, err := m.PreprocessInput(Input{Data: docmake.PDF(pp)})
	if err != nil {
		t.Fatal(err)
	}
	outs := make([][]Tensor, len(rows))
	for i, r := range rows {
		res, err := m.Run(t.Context(), stack(t, []Tensor{r.Inputs[0]}, m.PadValue(), 1))
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = row(res, 0)
	}
	res, err := m.PostprocessRows(rows, outs)
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := res["pages"].([]any)
	if len(pages) != 2 {
		t.Fatalf("output %v, want 2 pages", res)
	}
	for i, want := range []string{"0", "180"} {
		p := pages[i].(map[string]any)
		if p["page"] != i+1 || p["label"] != want || abs(p["width"].(int)-line.Bounds().Dx()) > 1 {
			t.Errorf("page %d: %v, want label %s", i+1, p, want)
		}
	}
}
