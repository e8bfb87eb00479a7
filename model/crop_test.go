package model

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// darkShare is the share of dark pixels in img.
func darkShare(img *image.RGBA) float64 {
	dark := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 128 {
			dark++
		}
	}
	return float64(dark) / float64(len(img.Pix)/4)
}

func TestCropLine(t *testing.T) {
	page := textimg.Blank(400, 300)
	s, c := math.Sincos(10 * math.Pi / 180)
	ink := rotRect{C: point{200, 150}, U: point{c, s}, W: 200, H: 40}
	q := ink.corners()
	for y := range 300 {
		for x := range 400 {
			if insideQuad(q, point{float64(x), float64(y)}) {
				page.SetGray(x, y, color.Gray{})
			}
		}
	}
	for _, tc := range []struct {
		name   string
		quad   [4]point
		margin float64
		w      int
		dark   float64 // share of dark pixels, about
	}{
		{"the box itself", q, 0, 240, 1},
		{"with a margin", q, 0.25, 176, 200.0 * 40 / (220 * 60)},
		{"tall box turned", [4]point{q[3], q[0], q[1], q[2]}, 0, 240, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crop := cropLine(page, tc.quad, 48, tc.margin)
			if b := crop.Bounds(); b.Dy() != 48 || math.Abs(float64(b.Dx()-tc.w)) > 2 {
				t.Fatalf("crop is %v, want about %d×48", b, tc.w)
			}
			if d := darkShare(crop); math.Abs(d-tc.dark) > 0.05 {
				t.Fatalf("crop is %.2f dark, want about %.2f", d, tc.dark)
			}
		})
	}
}

func TestRotate180(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.Black)
	r := rotate180(img)
	if r.RGBAAt(2, 1) != (color.RGBA{0, 0, 0, 255}) || r.RGBAAt(0, 0) == (color.RGBA{0, 0, 0, 255}) {
		t.Fatalf("rotate180 moved the pixel wrongly: %v", r.Pix)
	}
}
