// Package textimg renders single lines of text as images, for tests, the
// demo and benchmarks of the OCR models. Everything is deterministic: the
// same text and options give the same pixels.
package textimg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Font names one of the Go fonts; the zero Font is Regular.
type Font string

// The fonts Render knows.
const (
	Regular Font = "goregular"
	Bold    Font = "gobold"
	Italic  Font = "goitalic"
	Medium  Font = "gomedium"
	Mono    Font = "gomono"
)

// Fonts lists every Font, for tests that cycle through them.
var Fonts = []Font{Regular, Bold, Italic, Medium, Mono}

var ttf = map[Font][]byte{
	Regular: goregular.TTF, Bold: gobold.TTF, Italic: goitalic.TTF,
	Medium: gomedium.TTF, Mono: gomono.TTF,
}

var parsed sync.Map // Font → *opentype.Font

func loadFont(f Font) (*opentype.Font, error) {
	if v, ok := parsed.Load(f); ok {
		return v.(*opentype.Font), nil
	}
	data, ok := ttf[f]
	if !ok {
		return nil, fmt.Errorf("textimg: unknown font %q", f)
	}
	otf, err := opentype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("textimg: parse %s: %w", f, err)
	}
	parsed.Store(f, otf)
	return otf, nil
}

// Options control how a line is drawn. Zero values pick defaults.
type Options struct {
	Font    Font    // default Regular
	Size    float64 // font size in pixels, default 32
	Height  int     // image height; default fits the font plus padding
	Padding int     // blank pixels around the text, default Size/4
}

func (o Options) withDefaults() Options {
	if o.Size <= 0 {
		o.Size = 32
	}
	if o.Padding <= 0 {
		o.Padding = int(o.Size / 4)
	}
	return o
}

// Blank is a white page of w×h pixels, to draw on or to send as a page
// with nothing to read.
func Blank(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// Render draws text in black on white, vertically centred. It panics only on
// an unknown Font, a programming error.
func Render(text string, opts Options) image.Image {
	o := opts.withDefaults()
	face := newFace(o.Font, o.Size)
	defer face.Close()
	m := face.Metrics()
	ascent, descent := m.Ascent.Ceil(), m.Descent.Ceil()
	h := o.Height
	if h <= 0 {
		h = ascent + descent + 2*o.Padding
	}
	w := font.MeasureString(face, text).Ceil() + 2*o.Padding
	img := Blank(max(w, 1), h)
	baseline := (h-(ascent+descent))/2 + ascent
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face,
		Dot: fixed.P(o.Padding, baseline)}
	d.DrawString(text)
	return img
}

// newFace opens f (Regular when zero) at size pixels. A face caches glyphs
// and is not safe for concurrent use: one per call. It panics only on an
// unknown Font.
func newFace(f Font, size float64) font.Face {
	if f == "" {
		f = Regular
	}
	otf, err := loadFont(f)
	if err != nil {
		panic(err)
	}
	face, err := opentype.NewFace(otf, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(fmt.Sprintf("textimg: face %s %.1f: %v", f, size, err))
	}
	return face
}

// PNG renders text and encodes it as PNG.
func PNG(text string, opts Options) []byte {
	return EncodePNG(Render(text, opts))
}

// EncodePNG encodes img as PNG; encoding an in-memory image cannot fail.
func EncodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(fmt.Sprintf("textimg: encode PNG: %v", err))
	}
	return buf.Bytes()
}

// Rotate180 returns img turned upside down.
func Rotate180(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.X-1-(x-b.Min.X), b.Max.Y-1-(y-b.Min.Y), img.At(x, y))
		}
	}
	return out
}
