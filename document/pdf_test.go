package document

import (
	"bytes"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
)

func jpegBytes(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// scannedPDF is pages of scenes, each a JPEG shown at 100 DPI.
func scannedPDF(t *testing.T, n int) ([]byte, []image.Image) {
	var pages []docmake.PDFPage
	var want []image.Image
	for i := range n {
		img := scene(200, 250+25*i, i)
		want = append(want, img)
		pages = append(pages, docmake.PDFPage{JPEG: jpegBytes(t, img), Width: 200, Height: 250 + 25*i, DPI: 100})
	}
	return docmake.PDF(pages), want
}

// A scanned PDF's pages come out as the scans, at the DPI asked for.
func TestPDFScannedPages(t *testing.T) {
	data, want := scannedPDF(t, 3)
	p, d := pages(t, data, Options{DPI: 100})
	if !d.Paged() || d.Format() != PDF || len(p) != 3 {
		t.Fatalf("format %s paged %v, %d pages; want a 3-page PDF", d.Format(), d.Paged(), len(p))
	}
	for i, pg := range p {
		if diff := meanDiff(pg.Image, want[i]); diff < 0 || diff > 6 {
			t.Errorf("page %d %v: mean difference %.2f from the scan %v", i+1, pg.Image.Bounds(), diff, want[i].Bounds())
		}
	}
	p, _ = pages(t, data, Options{}) // the default 200 DPI doubles each side
	if b := p[2].Image.Bounds(); b.Dx() != 400 || b.Dy() != 600 || p[2].Width != 400 {
		t.Errorf("page 3 at 200 DPI is %v, want 400×600", b)
	}
}

// A digital page's text layer is returned when asked, else it is rendered.
func TestPDFTextLayer(t *testing.T) {
	lines := []string{"Invoice 2026-0142", "Total due: 1,250.00 EUR (net 30)"}
	scan := docmake.PDFPage{JPEG: jpegBytes(t, scene(100, 100, 0)), Width: 100, Height: 100, DPI: 100}
	data := docmake.PDF([]docmake.PDFPage{{Lines: lines}, scan})
	p, _ := pages(t, data, Options{TextLayer: true, DPI: 72})
	got := strings.Fields(p[0].Text)
	if strings.Join(got, " ") != strings.Join(lines, " ") || p[0].Image != nil {
		t.Errorf("text layer %q (image %v), want %q", p[0].Text, p[0].Image != nil, lines)
	}
	if p[0].Width != 612 || p[0].Height != 792 {
		t.Errorf("a Letter page at 72 DPI is %d×%d, want 612×792", p[0].Width, p[0].Height)
	}
	if p[1].Image == nil || p[1].Text != "" {
		t.Errorf("the scanned page has no text layer: it must be rendered")
	}
	p, _ = pages(t, data, Options{DPI: 72})
	if p[0].Image == nil || p[0].Text != "" || inked(p[0].Image) == 0 {
		t.Errorf("without TextLayer a digital page is rendered, with its text as ink")
	}
}

func inked(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				n++
			}
		}
	}
	return n
}

func TestPDFRefusals(t *testing.T) {
	data, _ := scannedPDF(t, 3)
	checkRefusals(t, []refusal{
		{"encrypted", docmake.EncryptedPDF(), Options{}, CodeUndecodableDoc, "encrypted"},
		{"truncated", data[:len(data)/3], Options{}, CodeUndecodableDoc, ""},
		{"not a PDF inside", []byte("%PDF-1.7\nthis is not a document at all\n"), Options{}, CodeUndecodableDoc, ""},
		{"too many pages", data, Options{MaxPages: 2}, CodeTooManyPages, "3 pages"},
	})
	t.Run("a page over the pixel cap", func(t *testing.T) {
		d, err := Open(t.Context(), data, Options{DPI: 100, MaxPixels: 200 * 280})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Page(t.Context(), 1); err != nil {
			t.Errorf("page 2 (200×275): %v", err)
		}
		_, err = d.Page(t.Context(), 2)
		wantCode(t, err, CodeImageTooLarge)
	})
}
