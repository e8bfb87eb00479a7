package model

import "image"

// rgbaBilinear scales an RGBA image (a PNG, or a JPEG turned upright by
// its EXIF orientation, as a phone photo is) straight into the letterbox's
// float planes, as resizeRGBA's ApproxBiLinear does: pixel centres at
// +0.5, edges clamped, composited over white (the premultiplied colour
// plus the white showing through what is transparent), 16-bit values
// truncated to 8. Through resizeRGBA and its RGBA copy it cost three times
// a JPEG's letterbox.
type rgbaBilinear struct {
	src    *image.RGBA
	x0, x1 []int32 // each output column's two taps, as offsets in a row
	fx     []float32
}

func newRGBABilinear(src *image.RGBA, dw int) *rgbaBilinear {
	z := &rgbaBilinear{src: src, x0: make([]int32, dw), x1: make([]int32, dw), fx: make([]float32, dw)}
	sw := src.Rect.Dx()
	xscale := float64(sw) / float64(dw)
	for dx := range dw {
		s0, s1, f := bilinearTaps(dx, xscale, sw)
		z.x0[dx], z.x1[dx], z.fx[dx] = int32(4*s0), int32(4*s1), f
	}
	return z
}

// to16 takes an 8-bit value to ApproxBiLinear's 16 bits and back, where
// it truncates: ×257/256.
const to16 = 257.0 / 256

// scale writes the source scaled to dw×dh into three planes of stride W
// from offset o, each value the 8-bit result over 255.
func (z *rgbaBilinear) scale(r, g, b []float32, o, W, dh int) {
	s := z.src
	dw := len(z.fx)
	scaleInBands(dh, s.Rect.Dy(), o, W, func(sy0, sy1 int, fy float32, o int) {
		P0, P1 := s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+sy0):], s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+sy1):]
		rr, gg, bb := r[o:o+dw], g[o:o+dw], b[o:o+dw]
		for dx := range dw {
			a, c, fx := z.x0[dx], z.x1[dx], z.fx[dx]
			w00, w10, w01, w11 := (1-fy)*(1-fx), (1-fy)*fx, fy*(1-fx), fy*fx
			// The white behind: 255 less the interpolated alpha.
			white := 255 - (w00*f8[P0[a+3]] + w10*f8[P0[c+3]] + w01*f8[P1[a+3]] + w11*f8[P1[c+3]])
			rv := w00*f8[P0[a]] + w10*f8[P0[c]] + w01*f8[P1[a]] + w11*f8[P1[c]]
			gv := w00*f8[P0[a+1]] + w10*f8[P0[c+1]] + w01*f8[P1[a+1]] + w11*f8[P1[c+1]]
			bv := w00*f8[P0[a+2]] + w10*f8[P0[c+2]] + w01*f8[P1[a+2]] + w11*f8[P1[c+2]]
			rr[dx], gg[dx], bb[dx] = level((rv+white)*to16), level((gv+white)*to16), level((bv+white)*to16)
		}
	})
}
