// Package docmake makes the documents tests and benchmarks read: PDFs
// (scanned pages as JPEG images, digital pages with a text layer, an
// encrypted one) written here to the PDF specification, and files made by
// Pillow (libtiff's JPEG-compressed and fax TIFFs, WebP, CMYK JPEG, EXIF
// orientations) through the system's python3.
package docmake

import (
	"bytes"
	"fmt"
	"image/color"
	"image/jpeg"
	"strings"
)

// PDFPage is one page: a scan (JPEG bytes shown over the whole page) or
// lines of text in Helvetica (a digital page with a text layer).
type PDFPage struct {
	JPEG          []byte
	Width, Height int // the scan's pixels, shown at DPI
	DPI           int // 0: 200
	Lines         []string
}

// PDF writes a PDF holding pages, in order.
func PDF(pages []PDFPage) []byte {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, len(pages))
	pagesID := 2
	next := 3
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", next)
		next += 3
	}
	w.object(1, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesID))
	w.object(pagesID, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	font := next
	w.object(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, p := range pages {
		id := 3 + 3*i
		pw, ph, content, res := p.body(id+2, font)
		w.object(id, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources %s /Contents %d 0 R >>", pagesID, pw, ph, res, id+1))
		w.stream(id+1, "", []byte(content))
		if p.JPEG != nil {
			w.stream(id+2, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode", p.Width, p.Height, colourSpace(p.JPEG)), p.JPEG)
		} else {
			w.object(id+2, "null")
		}
	}
	return w.finish(next+1, "")
}

// body is a page's size in points, its content stream and resources.
func (p PDFPage) body(imageID, font int) (w, h float64, content, res string) {
	if p.JPEG != nil {
		dpi := float64(p.DPI)
		if dpi == 0 {
			dpi = 200
		}
		w, h = float64(p.Width)*72/dpi, float64(p.Height)*72/dpi
		return w, h, fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h), fmt.Sprintf("<< /XObject << /Im0 %d 0 R >> >>", imageID)
	}
	w, h = 612, 792 // US Letter
	var c strings.Builder
	c.WriteString("BT /F1 20 Tf 72 700 Td 28 TL\n")
	for _, l := range p.Lines {
		fmt.Fprintf(&c, "(%s) Tj T*\n", escape(l))
	}
	c.WriteString("ET")
	return w, h, c.String(), fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font)
}

// colourSpace is the PDF colour space of a JPEG's components.
func colourSpace(data []byte) string {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	switch {
	case err != nil:
		return "/DeviceRGB"
	case cfg.ColorModel == color.GrayModel:
		return "/DeviceGray"
	case cfg.ColorModel == color.CMYKModel:
		return "/DeviceCMYK"
	}
	return "/DeviceRGB"
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// EncryptedPDF is a one-page PDF under the standard security handler
// whose user password is not empty: a reader without it cannot open it.
func EncryptedPDF() []byte {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.4\n")
	w.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.object(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	o := strings.Repeat("5A", 32)
	u := strings.Repeat("C3", 32)
	w.object(4, fmt.Sprintf("<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>", o, u))
	return w.finish(5, "/Encrypt 4 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]")
}

type pdfWriter struct {
	buf     bytes.Buffer
	offsets map[int]int
}

func (w *pdfWriter) object(id int, body string) {
	if w.offsets == nil {
		w.offsets = map[int]int{}
	}
	w.offsets[id] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", id, body)
}

func (w *pdfWriter) stream(id int, dict string, data []byte) {
	if w.offsets == nil {
		w.offsets = map[int]int{}
	}
	w.offsets[id] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", id, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

// finish writes the cross-reference table for objects 1..size-1 and the
// trailer.
func (w *pdfWriter) finish(size int, trailer string) []byte {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", size)
	for id := 1; id < size; id++ {
		if off, ok := w.offsets[id]; ok {
			fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
		} else {
			w.buf.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", size, trailer, xref)
	return w.buf.Bytes()
}
