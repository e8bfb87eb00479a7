package document

import (
	"bytes"
	"net/http"
	"slices"
)

// Format is a file format recognised by its first bytes.
type Format string

// The formats Sniff tells apart. HEIC and AVIF are recognised only to be
// refused by name.
const (
	Unknown Format = ""
	PNG     Format = "PNG"
	JPEG    Format = "JPEG"
	GIF     Format = "GIF"
	BMP     Format = "BMP"
	WebP    Format = "WebP"
	TIFF    Format = "TIFF"
	PDF     Format = "PDF"
	HEIC    Format = "HEIC"
	AVIF    Format = "AVIF"
)

// Paged reports whether the format's output is per page.
func (f Format) Paged() bool { return f == PDF || f == TIFF }

// Sniff names data's format from its magic bytes.
func Sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return JPEG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF
	case bytes.HasPrefix(data, []byte("BM")):
		return BMP
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return WebP
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")),
		bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")):
		return TIFF
	case pdfHeader(data):
		return PDF
	case len(data) >= 12 && bytes.Equal(data[4:8], []byte("ftyp")):
		brand := string(data[8:12])
		if slices.Contains([]string{"avif", "avis"}, brand) {
			return AVIF
		}
		if slices.Contains([]string{"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"}, brand) {
			return HEIC
		}
	}
	return Unknown
}

// pdfHeader finds "%PDF-" in the first KiB, where readers accept it.
func pdfHeader(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

func unsupported(data []byte, f Format) error {
	switch f {
	case HEIC:
		return errorf(CodeUnsupportedFormat, "HEIC (an iPhone photo) cannot be decoded here; send JPEG (on the iPhone: Settings › Camera › Formats › Most Compatible)")
	case AVIF:
		return errorf(CodeUnsupportedFormat, "AVIF cannot be decoded here; send JPEG or PNG")
	}
	// The sniffed type, not the bytes: messages reach logs and the DLQ, and
	// payload contents must never be logged.
	return errorf(CodeUnsupportedFormat, "not an image or document we read (PNG, JPEG, GIF, BMP, WebP, TIFF, PDF); looks like %s", http.DetectContentType(data))
}
