package document

import (
	"image"
)

// webpColours converts a lossy WebP's pixels to RGB. VP8 stores studio
// range YCbCr (BT.601, Y in 16–235), but x/image/webp hands it over as an
// image.YCbCr, whose colour model is JFIF's full range: taken as it is,
// every colour is off by about 13 levels (a red of 221 reads as 209). The
// alpha plane of a lossy image with transparency is kept.
func webpColours(img image.Image) image.Image {
	var y *image.YCbCr
	var alpha *image.NYCbCrA
	switch m := img.(type) {
	case *image.YCbCr:
		y = m
	case *image.NYCbCrA:
		y, alpha = &m.YCbCr, m
	default:
		return img // lossless WebP is RGB already
	}
	b := y.Rect
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for py := b.Min.Y; py < b.Max.Y; py++ {
		row := dst.Pix[(py-b.Min.Y)*dst.Stride:]
		for px := b.Min.X; px < b.Max.X; px++ {
			yy := (float32(y.Y[y.YOffset(px, py)]) - 16) * 1.164
			ci := y.COffset(px, py)
			cb, cr := float32(y.Cb[ci])-128, float32(y.Cr[ci])-128
			o := 4 * (px - b.Min.X)
			row[o] = clamp8(yy + 1.596*cr)
			row[o+1] = clamp8(yy - 0.392*cb - 0.813*cr)
			row[o+2] = clamp8(yy + 2.017*cb)
			row[o+3] = 255
			if alpha != nil {
				row[o+3] = alpha.A[alpha.AOffset(px, py)]
			}
		}
	}
	return dst
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
