// Package document decodes the files users send as images: PNG, JPEG (EXIF
// orientation applied), GIF (first frame), BMP and WebP as one page, and
// PDF and TIFF as many. Every failure is an *Error whose Code is one of the
// jobs taxonomy strings; the package imports nothing of ours.
package document

import (
	"context"
	"fmt"
	"image"
)

// The codes this package produces; they equal the jobs.Code strings.
const (
	CodeEmptyInput              = "empty_input"
	CodeUnsupportedFormat       = "unsupported_format"
	CodeUndecodableImage        = "undecodable_image"
	CodeUndecodableDoc          = "undecodable_document"
	CodeTooManyPages            = "too_many_pages"
	CodeImageTooLarge           = "image_too_large"
	CodeImageDimensions         = "bad_image_dimensions"
	DefaultDPI                  = 200
	DefaultMaxPages             = 100
	DefaultMaxPixels      int64 = 40_000_000
)

// Error is a problem with one input's bytes, or one page of it: retrying
// cannot help.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Options are a model's limits on what it reads.
type Options struct {
	MaxPages  int   // pages per document; over it Open fails with too_many_pages (0: DefaultMaxPages)
	MaxPixels int64 // pixels per page, checked before the page is decoded (0: DefaultMaxPixels)
	DPI       int   // PDF pages are rendered at this resolution (0: DefaultDPI)
	// TextLayer makes a PDF page whose text layer holds text return that
	// text instead of an image (a digital PDF needs no OCR).
	TextLayer bool
	// Check, if set, sees each page's displayed size before it is decoded;
	// an *Error it returns fails that page.
	Check func(w, h int) error
}

func (o Options) withDefaults() Options {
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.DPI <= 0 {
		o.DPI = DefaultDPI
	}
	return o
}

// Page is one page of a document: its image as displayed, or the text of
// its text layer when Options.TextLayer took it.
type Page struct {
	Image image.Image
	Text  string
	// Width and Height are the page's size in pixels (at the DPI for PDF),
	// also when the text layer was taken and Image is nil.
	Width, Height int
}

// Document is an opened file: one page for an image, each page of a PDF or
// TIFF. Pages are decoded one at a time, so a caller holds one in memory.
type Document struct {
	format Format
	pages  int
	page   func(ctx context.Context, i int) (Page, error)
	close  func() error
}

// Format is what the file was sniffed as.
func (d *Document) Format() Format { return d.format }

// Pages is the number of pages.
func (d *Document) Pages() int { return d.pages }

// Paged reports whether the file is a document (PDF, TIFF), whose output
// is per page even when it has one, rather than a picture.
func (d *Document) Paged() bool { return d.format.Paged() }

// Page decodes page i (0-based). A bad page is an *Error for that page
// only: the others may still be read.
func (d *Document) Page(ctx context.Context, i int) (Page, error) {
	if i < 0 || i >= d.pages {
		return Page{}, fmt.Errorf("page %d of a %d-page document", i+1, d.pages)
	}
	return d.page(ctx, i)
}

// Close releases what the document holds (a PDF's handle in the renderer).
func (d *Document) Close() error {
	if d.close == nil {
		return nil
	}
	return d.close()
}

// Open sniffs data and opens it. Errors are *Error: an unknown or
// unsupported format, a broken or encrypted document, too many pages.
func Open(ctx context.Context, data []byte, o Options) (*Document, error) {
	o = o.withDefaults()
	if len(data) == 0 {
		return nil, errorf(CodeEmptyInput, "the input is empty")
	}
	f := Sniff(data)
	switch f {
	case PDF:
		return openPDF(ctx, data, o)
	case TIFF:
		return openTIFF(data, o)
	case PNG, JPEG, GIF, BMP, WebP:
		return &Document{format: f, pages: 1, page: func(context.Context, int) (Page, error) {
			return imagePage(DecodeImage(data, o))
		}}, nil
	}
	return nil, unsupported(data, f)
}

// imagePage is a decoded picture or TIFF page as a Page: its displayed
// size is its own.
func imagePage(img image.Image, err error) (Page, error) {
	if err != nil {
		return Page{}, err
	}
	b := img.Bounds()
	return Page{Image: img, Width: b.Dx(), Height: b.Dy()}, nil
}

// checkSize applies the pixel cap and the caller's check to a page's
// displayed size.
func checkSize(w, h int, o Options) error {
	if w < 1 || h < 1 {
		return errorf(CodeImageDimensions, "image is %d×%d", w, h)
	}
	if px := int64(w) * int64(h); px > o.MaxPixels {
		return errorf(CodeImageTooLarge, "image declares %d×%d = %d pixels; the cap is %d", w, h, px, o.MaxPixels)
	}
	if o.Check != nil {
		return o.Check(w, h)
	}
	return nil
}
