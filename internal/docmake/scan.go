package docmake

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // rendered pages are PNG
)

// ScannedPDF is a scanned PDF of the given page images (PNG or JPEG), each
// page as ScanPage makes it.
func ScannedPDF(pages ...[]byte) ([]byte, error) {
	pp := make([]PDFPage, len(pages))
	for i, data := range pages {
		p, err := ScanPage(data)
		if err != nil {
			return nil, fmt.Errorf("scanned PDF: page %d: %w", i+1, err)
		}
		pp[i] = p
	}
	return PDF(pp), nil
}

// ScanPage is a page image (PNG or JPEG) as a scanner stores it: re-encoded
// as a JPEG of quality 92 and shown at 200 DPI, so a reader rendering at
// 200 DPI gets its pixels back.
func ScanPage(data []byte) (PDFPage, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return PDFPage{}, err
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		return PDFPage{}, err
	}
	r := img.Bounds()
	return PDFPage{JPEG: b.Bytes(), Width: r.Dx(), Height: r.Dy(), DPI: 200}, nil
}
