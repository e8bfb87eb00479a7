package model

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// The YCbCr path of the letterbox against x/image/draw's ApproxBiLinear
// through an RGBA (resizeRGBA), for every subsampling a JPEG may have,
// down- and upscaled, from a sub-image not at the origin: a photo's
// colours (in RGB's gamut, smooth with noise) come out within a level.
func TestLetterboxYCbCrMatchesApproxBiLinear(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	sizes := []struct{ w, h, W, H int }{{1280, 720, 640, 640}, {97, 203, 160, 160}, {333, 101, 64, 96}}
	for _, ratio := range ratios {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%v/%dx%d", ratio, sz.w, sz.h), func(t *testing.T) {
				img := photoYCbCr(sz.w, sz.h, ratio)
				lb := newLetterbox(sz.w, sz.h, sz.W, sz.H)
				got := lb.row(img).Data.([]float32)
				want := lb.row(hidden{img}).Data.([]float32) // not a *image.YCbCr: the resizeRGBA path
				var sum float64
				for i := range want {
					d := math.Abs(float64(got[i] - want[i]))
					if d > 1.0/255+1e-6 {
						t.Fatalf("value %d (plane %d, y %d, x %d) is %v; ApproxBiLinear gives %v",
							i, i/(sz.W*sz.H), i%(sz.W*sz.H)/sz.W, i%sz.W, got[i]*255, want[i]*255)
					}
					sum += d
				}
				if mean := sum / float64(len(want)) * 255; mean > 0.2 {
					t.Errorf("values differ from ApproxBiLinear's by %.3f levels on average; want ≤ 0.2", mean)
				}
			})
		}
	}
}

// The RGBA path of the letterbox against ApproxBiLinear through
// resizeRGBA: an opaque photo (what an EXIF-rotated JPEG becomes) and one
// partly transparent (composited over white), down- and upscaled, from a
// sub-image not at the origin, within a level.
func TestLetterboxRGBAMatchesApproxBiLinear(t *testing.T) {
	sizes := []struct{ w, h, W, H int }{{720, 1280, 640, 640}, {97, 203, 160, 160}, {333, 101, 64, 96}}
	for _, translucent := range []bool{false, true} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("translucent %v/%dx%d", translucent, sz.w, sz.h), func(t *testing.T) {
				img := photoRGBA(sz.w, sz.h, translucent)
				lb := newLetterbox(sz.w, sz.h, sz.W, sz.H)
				got := lb.row(img).Data.([]float32)
				want := lb.row(struct{ image.Image }{img}).Data.([]float32) // the resizeRGBA path
				var sum float64
				for i := range want {
					d := math.Abs(float64(got[i] - want[i]))
					if d > 1.0/255+1e-6 {
						t.Fatalf("value %d is %v; ApproxBiLinear gives %v", i, got[i]*255, want[i]*255)
					}
					sum += d
				}
				if mean := sum / float64(len(want)) * 255; mean > 0.2 {
					t.Errorf("values differ from ApproxBiLinear's by %.3f levels on average; want ≤ 0.2", mean)
				}
			})
		}
	}
}

// photoRGBA is photoYCbCr's picture as an RGBA sub-image; translucent, its
// alpha falls from opaque at the top to clear at the bottom (premultiplied,
// as RGBA is).
func photoRGBA(w, h int, translucent bool) *image.RGBA {
	src := photoYCbCr(w, h, image.YCbCrSubsampleRatio444)
	full := image.NewRGBA(image.Rect(0, 0, w+2, h+1))
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(src.At(src.Rect.Min.X+x, src.Rect.Min.Y+y)).(color.RGBA)
			if translucent {
				a := uint32(255 - 255*y/h)
				c = color.RGBA{uint8(uint32(c.R) * a / 255), uint8(uint32(c.G) * a / 255), uint8(uint32(c.B) * a / 255), uint8(a)}
			}
			full.SetRGBA(x+2, y+1, c)
		}
	}
	return full.SubImage(image.Rect(2, 1, w+2, h+1)).(*image.RGBA)
}

// photoYCbCr is a w×h picture, offset from the origin, of smooth colour
// with noise, each chroma sample that of the first pixel it covers.
func photoYCbCr(w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	full := image.NewYCbCr(image.Rect(0, 0, w+3, h+5), ratio)
	rnd := rand.New(rand.NewPCG(1, 2))
	set := make([]bool, len(full.Cb))
	rgb := func(x, y int) (uint8, uint8, uint8) {
		n := func() float64 { return rnd.Float64()*16 - 8 }
		fx, fy := float64(x)/float64(w+3), float64(y)/float64(h+5)
		return uint8(40 + 170*fx + n()), uint8(40 + 170*fy + n()), uint8(125 + 80*math.Sin(6*fx+4*fy) + n())
	}
	for y := range h + 5 {
		for x := range w + 3 {
			r, g, b := rgb(x, y)
			yy, cb, cr := color.RGBToYCbCr(r, g, b)
			full.Y[full.YOffset(x, y)] = yy
			if c := full.COffset(x, y); !set[c] {
				full.Cb[c], full.Cr[c], set[c] = cb, cr, true
			}
		}
	}
	return full.SubImage(image.Rect(3, 5, w+3, h+5)).(*image.YCbCr)
}

// hidden hides an image's type, so the letterbox takes the resizeRGBA path
// (and x/image/draw its general one, reading pixels through At).
type hidden struct{ *image.YCbCr }

// BenchmarkLetterboxYCbCr letterboxes a 1280×720 4:2:0 photo into 640×640:
// half of a detector's overhead on its own, for profiling
// (benchmarks/documents times it beside the run).
//
//	go test -run '^$' -bench LetterboxYCbCr -benchtime 200x ./model/
func BenchmarkLetterboxYCbCr(b *testing.B) {
	img := photoYCbCr(1280, 720, image.YCbCrSubsampleRatio420)
	lb := newLetterbox(1280, 720, 640, 640)
	b.ResetTimer()
	for range b.N {
		lb.row(img)
	}
}

// BenchmarkLetterboxRGBA letterboxes a 720×1280 RGBA (a portrait phone
// photo once turned upright) into 640×640.
func BenchmarkLetterboxRGBA(b *testing.B) {
	img := photoRGBA(720, 1280, false)
	lb := newLetterbox(720, 1280, 640, 640)
	b.ResetTimer()
	for range b.N {
		recycleRow(lb.row(img))
	}
}
