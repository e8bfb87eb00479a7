package docmake

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // rendered pages are PNG
)

// ScannedPDF is a scanned PDF of the given page images (PNG or JPEG): each
// page re-encoded as a scanner stores it (JPEG, quality 92) and shown at
// 200 DPI, so a reader rendering at 200 DPI gets each page's pixels back.
func ScannedPDF(pages ...[]byte) ([]byte, error) {
	pp := make([]PDFPage, len(pages))
	for i, data := range pages {
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("scanned PDF: page %d: %w", i+1, err)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
			return nil, fmt.Errorf("scanned PDF: page %d: %w", i+1, err)
		}
		r := img.Bounds()
		pp[i] = PDFPage{JPEG: b.Bytes(), Width: r.Dx(), Height: r.Dy(), DPI: 200}
	}
	return PDF(pp), nil
}
