package document

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	pdferrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
)

// renderer is PDFium compiled to WebAssembly, run by wazero: pure Go, so
// the Lambda zip needs no system library. Compiling the module takes about
// a second, so it is started on the first PDF, not at cold start, and one
// instance serves the process.
var renderer struct {
	once     sync.Once
	mu       sync.Mutex // one call into the instance at a time
	pool     pdfium.Pool
	instance pdfium.Pdfium
	err      error
}

func pdfInstance() (pdfium.Pdfium, error) {
	renderer.once.Do(func() {
		// No file system: documents are handed over as bytes.
		renderer.pool, renderer.err = webassembly.Init(webassembly.Config{
			MinIdle: 1, MaxIdle: 1, MaxTotal: 1,
			FSConfig: wazero.NewFSConfig(),
			Stdout:   io.Discard, Stderr: io.Discard,
		})
		if renderer.err == nil {
			renderer.instance, renderer.err = renderer.pool.GetInstance(time.Minute)
		}
		if renderer.err != nil {
			renderer.err = fmt.Errorf("start the PDF renderer (PDFium on wazero): %w", renderer.err)
		}
	})
	return renderer.instance, renderer.err
}

func openPDF(_ context.Context, data []byte, o Options) (*Document, error) {
	renderer.mu.Lock()
	defer renderer.mu.Unlock()
	in, err := pdfInstance()
	if err != nil {
		return nil, err
	}
	doc, err := in.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		return nil, pdfOpenError(err)
	}
	handle := doc.Document
	closeDoc := func() error {
		renderer.mu.Lock()
		defer renderer.mu.Unlock()
		_, err := in.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: handle})
		return err
	}
	n, err := in.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: handle})
	switch {
	case err != nil:
		err = errorf(CodeUndecodableDoc, "count the PDF's pages: %v", err)
	case n.PageCount == 0:
		err = errorf(CodeUndecodableDoc, "the PDF has no pages")
	case n.PageCount > o.MaxPages:
		err = errorf(CodeTooManyPages, "the PDF has %d pages; this model reads at most %d", n.PageCount, o.MaxPages)
	}
	if err != nil {
		in.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: handle})
		return nil, err
	}
	p := &pdfDoc{in: in, doc: handle, o: o}
	return &Document{format: PDF, pages: n.PageCount, page: p.page, close: closeDoc}, nil
}

// pdfOpenError names why PDFium refused a file.
func pdfOpenError(err error) error {
	switch {
	case errors.Is(err, pdferrors.ErrPassword):
		return errorf(CodeUndecodableDoc, "the PDF is encrypted (password-protected); send it without a password")
	case errors.Is(err, pdferrors.ErrSecurity):
		return errorf(CodeUndecodableDoc, "the PDF uses an unsupported security handler")
	case errors.Is(err, pdferrors.ErrFormat), errors.Is(err, pdferrors.ErrFile):
		return errorf(CodeUndecodableDoc, "not a readable PDF (truncated or corrupt): %v", err)
	}
	return errorf(CodeUndecodableDoc, "open the PDF: %v", err)
}

type pdfDoc struct {
	in  pdfium.Pdfium
	doc references.FPDF_DOCUMENT
	o   Options
}

func (p *pdfDoc) page(_ context.Context, i int) (Page, error) {
	renderer.mu.Lock()
	defer renderer.mu.Unlock()
	ref := requests.Page{ByIndex: &requests.PageByIndex{Document: p.doc, Index: i}}
	size, err := p.in.GetPageSizeInPixels(&requests.GetPageSizeInPixels{Page: ref, DPI: p.o.DPI})
	if err != nil {
		return Page{}, errorf(CodeUndecodableDoc, "read the size of page %d: %v", i+1, err)
	}
	if err := checkSize(size.Width, size.Height, p.o); err != nil {
		return Page{}, err
	}
	if p.o.TextLayer {
		t, err := p.in.GetPageText(&requests.GetPageText{Page: ref})
		if err == nil && strings.TrimSpace(t.Text) != "" {
			return Page{Text: t.Text, Width: size.Width, Height: size.Height}, nil
		}
	}
	r, err := p.in.RenderPageInDPI(&requests.RenderPageInDPI{Page: ref, DPI: p.o.DPI})
	if err != nil {
		return Page{}, errorf(CodeUndecodableDoc, "render page %d: %v", i+1, err)
	}
	defer r.Cleanup()
	img := onWhite(r.Result.RenderedImage) // the rendered buffer lives in the module's memory until Cleanup
	return Page{Image: img, Width: size.Width, Height: size.Height}, nil
}

// onWhite copies a rendered page out of the renderer, on white paper: a
// page with transparency is rendered on transparent black.
func onWhite(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Over)
	return dst
}
