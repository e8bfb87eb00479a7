package model

import "image"

// ycbcrBilinear scales a JPEG's YCbCr straight into the letterbox's float
// planes, reproducing x/image/draw's ApproxBiLinear (the YCbCr→RGB of
// image/color at 16 bits, then bilinear with pixel centres at +0.5 and
// edges clamped, then truncated to 8 bits) without the RGBA in between
// and with every source row converted once rather than once per tap.
type ycbcrBilinear struct {
	src        *image.YCbCr
	hdiv       int       // source pixels per chroma sample across
	x0, x1     []int32   // each output column's two source columns
	fx         []float64 // each output column's weight on x1
	rows       [2][]float64
	rowY       [2]int // which source row rows[i] holds (-1: none)
	sw, sh, dw int
}

func newYCbCrBilinear(src *image.YCbCr, dw int) (*ycbcrBilinear, bool) {
	z := &ycbcrBilinear{src: src, sw: src.Rect.Dx(), sh: src.Rect.Dy(), dw: dw, rowY: [2]int{-1, -1}}
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
		z.hdiv = 1
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		z.hdiv = 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		z.hdiv = 4
	default:
		return nil, false
	}
	z.x0, z.x1, z.fx = make([]int32, dw), make([]int32, dw), make([]float64, dw)
	xscale := float64(z.sw) / float64(dw)
	for dx := range dw {
		s0, s1, f := bilinearTaps(float64((float64(dx)+0.5)*xscale)-0.5, z.sw)
		z.x0[dx], z.x1[dx], z.fx[dx] = int32(s0), int32(s1), f
	}
	for i := range z.rows {
		z.rows[i] = make([]float64, 3*z.sw)
	}
	return z, true
}

// bilinearTaps is ApproxBiLinear's pair of source indices around the
// source coordinate s and the weight of the second.
func bilinearTaps(s float64, n int) (int, int, float64) {
	s0 := int(s)
	frac := s - float64(s0)
	switch {
	case s < 0:
		return 0, 0, 0
	case s0+1 > n-1:
		return n - 1, n - 1, 1
	}
	return s0, s0 + 1, frac
}

// row is source row y as 16-bit RGB (r, g, b interleaved), converted once
// and kept while the next output row may use it again.
func (z *ycbcrBilinear) row(y int) []float64 {
	for i, have := range z.rowY {
		if have == y {
			return z.rows[i]
		}
	}
	i := 0
	if z.rowY[0] == y-1 { // keep the row just above: an upscale reuses it
		i = 1
	}
	out := z.rows[i]
	s, minX := z.src, z.src.Rect.Min.X
	yi := s.YOffset(minX, s.Rect.Min.Y+y)
	ci := s.COffset(minX, s.Rect.Min.Y+y)
	ys := s.Y[yi : yi+z.sw]
	// The chroma sample steps every hdiv pixels (no division per pixel).
	phase := ((minX % z.hdiv) + z.hdiv) % z.hdiv
	for x, yv := range ys {
		yy := int(yv) * 0x10101
		cb, cr := int(s.Cb[ci])-128, int(s.Cr[ci])-128
		px := out[3*x : 3*x+3 : 3*x+3]
		px[0] = float64(clamp16((yy + 91881*cr) >> 8))
		px[1] = float64(clamp16((yy - 22554*cb - 46802*cr) >> 8))
		px[2] = float64(clamp16((yy + 116130*cb) >> 8))
		if phase++; phase == z.hdiv {
			phase, ci = 0, ci+1
		}
	}
	z.rowY[i] = y
	return out
}

func clamp16(v int) int { return max(0, min(v, 0xffff)) }

// scale writes the source scaled to dw×dh into three planes of stride W
// from offset o, each value the 8-bit result over 255.
func (z *ycbcrBilinear) scale(r, g, b []float32, o, W, dh int) {
	yscale := float64(z.sh) / float64(dh)
	const s = 1.0 / 255
	for dy := range dh {
		y0, y1, fy := bilinearTaps(float64((float64(dy)+0.5)*yscale)-0.5, z.sh)
		top, bot := z.row(y0), z.row(y1)
		rr, gg, bb := r[o:o+z.dw], g[o:o+z.dw], b[o:o+z.dw]
		for dx := range z.dw {
			a, c, fx := 3*int(z.x0[dx]), 3*int(z.x1[dx]), z.fx[dx]
			t, u := top[a:a+3:a+3], top[c:c+3:c+3]
			v, w := bot[a:a+3:a+3], bot[c:c+3:c+3]
			// ApproxBiLinear's arithmetic, in its order (float64).
			r0 := (1-fy)*((1-fx)*t[0]+fx*u[0]) + fy*((1-fx)*v[0]+fx*w[0])
			g0 := (1-fy)*((1-fx)*t[1]+fx*u[1]) + fy*((1-fx)*v[1]+fx*w[1])
			b0 := (1-fy)*((1-fx)*t[2]+fx*u[2]) + fy*((1-fx)*v[2]+fx*w[2])
			rr[dx] = float32(uint8(uint32(r0)>>8)) * s
			gg[dx] = float32(uint8(uint32(g0)>>8)) * s
			bb[dx] = float32(uint8(uint32(b0)>>8)) * s
		}
		o += W
	}
}
