package model

import (
	"image"
	"runtime"
	"sync"
)

// ycbcrBilinear scales a JPEG's YCbCr straight into the letterbox's float
// planes as x/image/draw's ApproxBiLinear does (pixel centres at +0.5,
// edges clamped, each tap's chroma the sample covering it, then truncated
// to 8 bits), but interpolates Y, Cb and Cr and converts once per output
// pixel rather than converting four taps: the conversion is linear, so
// only a tap whose colour lies outside RGB (clamped there, not here) or
// the truncation can move a value, by a level in a photo.
type ycbcrBilinear struct {
	src    *image.YCbCr
	y0, y1 []int32 // each output column's two taps in a Y row
	c0, c1 []int32 // and in a chroma row
	fx     []float32
	sw, sh int
}

func newYCbCrBilinear(src *image.YCbCr, dw int) (*ycbcrBilinear, bool) {
	z := &ycbcrBilinear{src: src, sw: src.Rect.Dx(), sh: src.Rect.Dy()}
	hdiv := 0
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
		hdiv = 1
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		hdiv = 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		hdiv = 4
	default:
		return nil, false
	}
	z.y0, z.y1, z.c0, z.c1 = make([]int32, dw), make([]int32, dw), make([]int32, dw), make([]int32, dw)
	z.fx = make([]float32, dw)
	minX := src.Rect.Min.X
	cx := func(x int) int32 { return int32((minX+x)/hdiv - minX/hdiv) }
	xscale := float64(z.sw) / float64(dw)
	for dx := range dw {
		s0, s1, f := bilinearTaps(dx, xscale, z.sw)
		z.y0[dx], z.y1[dx], z.c0[dx], z.c1[dx], z.fx[dx] = int32(s0), int32(s1), cx(s0), cx(s1), f
	}
	return z, true
}

// bilinearTaps is ApproxBiLinear's pair of source indices (of n) around
// output index d, the source over the output being scale, and the weight
// of the second (pixel centres at +0.5, edges clamped).
func bilinearTaps(d int, scale float64, n int) (int, int, float32) {
	s := (float64(d)+0.5)*scale - 0.5
	s0 := int(s)
	switch {
	case s < 0:
		return 0, 0, 0
	case s0+1 > n-1:
		return n - 1, n - 1, 1
	}
	return s0, s0 + 1, float32(s - float64(s0))
}

// image/color's YCbCr→RGB at 16 bits, taken to 8: R = Y·65793/65536 +
// 91881/65536·(Cr−128), and so on.
const (
	ycY  = 65793.0 / 65536
	ycRV = 91881.0 / 65536
	ycGU = 22554.0 / 65536
	ycGV = 46802.0 / 65536
	ycBU = 116130.0 / 65536
)

// scaleBandRows is the fewest output rows worth a goroutine of their own.
const scaleBandRows = 64

// scaleInBands calls row for each of the dh output rows of a scale from
// sh source rows, with its two source rows, the weight of the second and
// its offset in planes of stride W starting at o. The rows are split into
// a band a core: the run that follows a letterbox spreads over every
// core, and a batch-1 detector letterboxes one image before each run; on
// one core that alone took a tenth of the run's time.
func scaleInBands(dh, sh, o, W int, row func(sy0, sy1 int, fy float32, o int)) {
	yscale := float64(sh) / float64(dh)
	bands := max(1, min(runtime.GOMAXPROCS(0), dh/scaleBandRows))
	var wg sync.WaitGroup
	for k := range bands {
		wg.Go(func() {
			for dy := dh * k / bands; dy < dh*(k+1)/bands; dy++ {
				sy0, sy1, fy := bilinearTaps(dy, yscale, sh)
				row(sy0, sy1, fy, o+dy*W)
			}
		})
	}
	wg.Wait()
}

// scale writes the source scaled to dw×dh into three planes of stride W
// from offset o, each value the 8-bit result over 255.
func (z *ycbcrBilinear) scale(r, g, b []float32, o, W, dh int) {
	s := z.src
	dw := len(z.fx)
	scaleInBands(dh, z.sh, o, W, func(sy0, sy1 int, fy float32, o int) {
		Y0, Y1 := s.Y[s.YOffset(s.Rect.Min.X, s.Rect.Min.Y+sy0):], s.Y[s.YOffset(s.Rect.Min.X, s.Rect.Min.Y+sy1):]
		c0, c1 := s.COffset(s.Rect.Min.X, s.Rect.Min.Y+sy0), s.COffset(s.Rect.Min.X, s.Rect.Min.Y+sy1)
		B0, B1, R0, R1 := s.Cb[c0:], s.Cb[c1:], s.Cr[c0:], s.Cr[c1:]
		rr, gg, bb := r[o:o+dw], g[o:o+dw], b[o:o+dw]
		for dx := range dw {
			a, c, p, q, fx := z.y0[dx], z.y1[dx], z.c0[dx], z.c1[dx], z.fx[dx]
			w00, w10, w01, w11 := (1-fy)*(1-fx), (1-fy)*fx, fy*(1-fx), fy*fx
			yv := w00*f8[Y0[a]] + w10*f8[Y0[c]] + w01*f8[Y1[a]] + w11*f8[Y1[c]]
			u := w00*f8[B0[p]] + w10*f8[B0[q]] + w01*f8[B1[p]] + w11*f8[B1[q]] - 128
			v := w00*f8[R0[p]] + w10*f8[R0[q]] + w01*f8[R1[p]] + w11*f8[R1[q]] - 128
			yv *= ycY
			rr[dx] = level(yv + ycRV*v)
			gg[dx] = level(yv - ycGU*u - ycGV*v)
			bb[dx] = level(yv + ycBU*u)
		}
	})
}

// level is an 8-bit value, clamped and truncated as ApproxBiLinear's
// output is, over 255: one table load, as float min/max, a divide or a
// branch on the value cost as much as the interpolation itself. A pixel's
// conversion stays within (−256, 512), and the mask keeps the index in
// the table whatever comes.
func level(v float32) float32 {
	return levels[(int32(v)+256)&1023]
}

// levels[i+256] is the 8-bit level i clamped to 0–255, over 255.
var levels = func() (t [1024]float32) {
	for i := range t {
		t[i] = float32(min(max(i-256, 0), 255)) / 255
	}
	return t
}()

// f8[i] is float32(i), a load being cheaper than a conversion.
var f8 = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i)
	}
	return t
}()
