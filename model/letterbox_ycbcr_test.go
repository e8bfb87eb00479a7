package model

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
)

// The YCbCr path of the letterbox against x/image/draw's ApproxBiLinear
// through an RGBA (resizeRGBA): the same planes, for every subsampling a
// JPEG may have, down- and upscaled, from a sub-image not at the origin.
func TestLetterboxYCbCrMatchesApproxBiLinear(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	sizes := []struct{ w, h, W, H int }{{1280, 720, 640, 640}, {97, 203, 160, 160}, {333, 101, 64, 96}}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range ratios {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%v/%dx%d", ratio, sz.w, sz.h), func(t *testing.T) {
				full := image.NewYCbCr(image.Rect(0, 0, sz.w+3, sz.h+5), ratio)
				for _, p := range [][]uint8{full.Y, full.Cb, full.Cr} {
					for i := range p {
						p[i] = uint8(rnd.IntN(256))
					}
				}
				img := full.SubImage(image.Rect(3, 5, sz.w+3, sz.h+5)).(*image.YCbCr)
				lb := newLetterbox(sz.w, sz.h, sz.W, sz.H)
				got := lb.row(img).Data.([]float32)
				want := lb.row(hidden{img}).Data.([]float32) // not a *image.YCbCr: the resizeRGBA path
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("value %d (plane %d, y %d, x %d) is %v; ApproxBiLinear gives %v",
							i, i/(sz.W*sz.H), i%(sz.W*sz.H)/sz.W, i%sz.W, got[i], want[i])
					}
				}
			})
		}
	}
}

// hidden hides an image's type, so the letterbox takes the resizeRGBA path
// (and x/image/draw its general one, reading pixels through At).
type hidden struct{ *image.YCbCr }
