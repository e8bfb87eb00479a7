package textimg

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
)

// ScannedPDF is pages as one scanned PDF (docmake.ScannedPDF: JPEG pages
// at 200 DPI, so rendering at the default 200 DPI gives each page's pixels
// back).
func ScannedPDF(t testing.TB, pages ...Page) []byte {
	t.Helper()
	data := make([][]byte, len(pages))
	for i, p := range pages {
		data[i] = p.Data
	}
	pdf, err := docmake.ScannedPDF(data...)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
