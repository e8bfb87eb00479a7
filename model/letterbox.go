package model

import (
	"image"
	"math"
)

// letterbox is Ultralytics' LetterBox for a w×h image into a W×H input:
// scaled to fit keeping its aspect ratio, centred, the rest padded grey.
type letterbox struct {
	w, h       int // the displayed image
	W, H       int // the model's input
	gain       float64
	newW, newH int // the scaled image inside the input
	left, top  int
}

// letterboxPad is Ultralytics' pad colour (114, 114, 114).
const letterboxPad = 114

// pyRound is Python's round(): halves go to the even neighbour.
func pyRound(x float64) int { return int(math.RoundToEven(x)) }

func newLetterbox(w, h, W, H int) letterbox {
	l := letterbox{w: w, h: h, W: W, H: H}
	l.gain = min(float64(H)/float64(h), float64(W)/float64(w))
	l.newW, l.newH = max(pyRound(float64(w)*l.gain), 1), max(pyRound(float64(h)*l.gain), 1)
	dw, dh := float64(W-l.newW)/2, float64(H-l.newH)/2
	l.left, l.top = pyRound(dw-0.1), pyRound(dh-0.1)
	return l
}

// row is the image letterboxed into a [3, H, W] RGB row scaled to 0–1:
// the padding written as its value, the scaled image normalised straight
// into its place (no padded canvas in between). A JPEG's YCbCr and an
// RGBA are scaled straight into the planes; other images go through
// resizeRGBA.
func (l letterbox) row(img image.Image) Tensor {
	out := newRow(3 * l.W * l.H)
	plane := l.W * l.H
	for c := range 3 {
		l.pad(out[c*plane : (c+1)*plane])
	}
	r, g, b := out[:plane], out[plane:2*plane], out[2*plane:]
	o := l.top*l.W + l.left
	if z := planeScalerFor(img, l.newW); z != nil {
		z.scale(r, g, b, o, l.W, l.newH)
	} else {
		scaled := resizeRGBA(img, l.newW, l.newH)
		const s = 1.0 / 255
		for y := range l.newH {
			src := scaled.Pix[y*scaled.Stride : y*scaled.Stride+4*l.newW]
			rr, gg, bb := r[o:o+l.newW], g[o:o+l.newW], b[o:o+l.newW]
			for x := range l.newW {
				rr[x], gg[x], bb[x] = float32(src[4*x])*s, float32(src[4*x+1])*s, float32(src[4*x+2])*s
			}
			o += l.W
		}
	}
	return Tensor{Shape: []int64{3, int64(l.H), int64(l.W)}, Data: out}
}

// planeScaler scales its source, dw wide, into three float planes.
type planeScaler interface {
	scale(r, g, b []float32, o, W, dh int)
}

// planeScalerFor is the scaler of img's own pixels at width dw, nil for
// an image only resizeRGBA takes.
func planeScalerFor(img image.Image, dw int) planeScaler {
	switch src := img.(type) {
	case *image.YCbCr:
		if z, ok := newYCbCrBilinear(src, dw); ok {
			return z
		}
	case *image.RGBA:
		return newRGBABilinear(src, dw)
	}
	return nil
}

// pad writes the pad value into one plane outside the scaled image (the
// image's own pixels are all written after).
func (l letterbox) pad(p []float32) {
	const v = float32(letterboxPad) / 255
	fill := func(s []float32) {
		for i := range s {
			s[i] = v
		}
	}
	fill(p[:l.top*l.W+l.left])
	for y := l.top; y < l.top+l.newH; y++ {
		end := y*l.W + l.left + l.newW
		next := min((y+1)*l.W+l.left, len(p))
		if y == l.top+l.newH-1 {
			next = len(p)
		}
		fill(p[end:next])
	}
}

// unmap is Ultralytics' scale_boxes: a box in input pixels back into the
// image's pixels (the padding recomputed from the sizes as it does), then
// clipped to the image.
func (l letterbox) unmap(b [4]float64) [4]float64 {
	padX := float64(pyRound((float64(l.W)-float64(l.w)*l.gain)/2 - 0.1))
	padY := float64(pyRound((float64(l.H)-float64(l.h)*l.gain)/2 - 0.1))
	clip := func(v, hi float64) float64 { return max(0, min(v, hi)) }
	return [4]float64{
		clip((b[0]-padX)/l.gain, float64(l.w)),
		clip((b[1]-padY)/l.gain, float64(l.h)),
		clip((b[2]-padX)/l.gain, float64(l.w)),
		clip((b[3]-padY)/l.gain, float64(l.h)),
	}
}
