package document

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

type codec struct {
	config func([]byte) (image.Config, error)
	decode func([]byte) (image.Image, error)
}

func reader[T any](f func(r *bytes.Reader) (T, error)) func([]byte) (T, error) {
	return func(b []byte) (T, error) { return f(bytes.NewReader(b)) }
}

// codecs decode one picture each: a GIF its first frame, a TIFF its first
// page (openTIFF walks the others).
var codecs = map[Format]codec{
	PNG:  {reader(func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) })},
	JPEG: {reader(func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) })},
	GIF:  {reader(func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) })},
	BMP:  {reader(func(r *bytes.Reader) (image.Config, error) { return bmp.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return bmp.Decode(r) })},
	WebP: {reader(func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) })},
	TIFF: {reader(func(r *bytes.Reader) (image.Config, error) { return tiff.DecodeConfig(r) }), reader(func(r *bytes.Reader) (image.Image, error) { return tiff.Decode(r) })},
}

// DecodeImage decodes one picture (PNG, JPEG, GIF, BMP, WebP; a TIFF's
// first page) as it is displayed: a JPEG's EXIF orientation is applied, so
// a phone photo taken upright comes out upright. Its declared size is
// checked first, so a small file declaring 100000×100000 is refused
// without allocating.
func DecodeImage(data []byte, o Options) (image.Image, error) {
	o = o.withDefaults()
	f := Sniff(data)
	c, ok := codecs[f]
	if !ok {
		if f == PDF {
			return nil, errorf(CodeUnsupportedFormat, "a PDF is a document, not one image")
		}
		return nil, unsupported(data, f)
	}
	cfg, err := c.config(data)
	if err != nil {
		return nil, errorf(CodeUndecodableImage, "read %s header: %v", f, err)
	}
	orient := 1
	if f == JPEG {
		orient = exifOrientation(data)
	}
	w, h := cfg.Width, cfg.Height
	if orient >= 5 {
		w, h = h, w
	}
	if err := checkSize(w, h, o); err != nil {
		return nil, err
	}
	img, err := c.decode(data)
	if err != nil {
		return nil, errorf(CodeUndecodableImage, "decode %s: %v", f, err)
	}
	if f == WebP {
		img = webpColours(img)
	}
	return orientImage(img, orient), nil
}
