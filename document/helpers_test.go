package document

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scene is a picture whose halves and quarters differ, so a mirrored,
// rotated or wrong page never looks like it: four coloured quadrants and
// a bar whose colour names the page.
func scene(w, h int, page int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(r image.Rectangle, c color.RGBA) {
		draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	fill(image.Rect(0, 0, w/2, h/2), color.RGBA{220, 30, 30, 255})
	fill(image.Rect(w/2, 0, w, h/2), color.RGBA{30, 200, 40, 255})
	fill(image.Rect(0, h/2, w/2, h), color.RGBA{30, 40, 210, 255})
	fill(image.Rect(w/2, h/2, w, h), color.RGBA{245, 245, 245, 255})
	v := uint8(40 * (page % 6))
	fill(image.Rect(w/8, h/8, w/8+w/5, h/8+h/5), color.RGBA{v, 255 - v, v / 2, 255})
	return img
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readPNG(t *testing.T, dir, name string) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(readFile(t, dir, name)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// meanDiff is the mean absolute difference of two same-sized images'
// RGB channels, 0–255; -1 when their sizes differ.
func meanDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return -1
	}
	var sum float64
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			sum += absDiff(r1, r2) + absDiff(g1, g2) + absDiff(b1, b2)
		}
	}
	return sum / float64(3*ab.Dx()*ab.Dy()) / 257
}

func absDiff(a, b uint32) float64 {
	if a > b {
		return float64(a - b)
	}
	return float64(b - a)
}

// wantCode checks that err is an *Error with code.
func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v; want code %s", err, code)
	}
	return e
}

// refusal is an input refused with code, its message saying says: a
// document (PDF, TIFF) when it is opened, a picture when it is decoded.
type refusal struct {
	name string
	data []byte
	o    Options
	code string
	says string
}

func checkRefusals(t *testing.T, tests []refusal) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(t.Context(), tt.data, tt.o)
			if err == nil {
				if !d.Paged() {
					_, err = d.Page(t.Context(), 0)
				}
				d.Close()
			}
			e := wantCode(t, err, tt.code)
			if !strings.Contains(e.Message, tt.says) {
				t.Errorf("message %q does not say %q", e.Message, tt.says)
			}
		})
	}
}

// pages opens data and decodes every page.
func pages(t *testing.T, data []byte, o Options) ([]Page, *Document) {
	t.Helper()
	d, err := Open(context.Background(), data, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	out := make([]Page, d.Pages())
	for i := range out {
		if out[i], err = d.Page(context.Background(), i); err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
	}
	return out, d
}
