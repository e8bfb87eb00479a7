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
// into its place (no padded canvas in between).
func (l letterbox) row(img image.Image) Tensor {
	out := make([]float32, 3*l.W*l.H)
	const pad = float32(letterboxPad) / 255
	for i := range out {
		out[i] = pad
	}
	scaled := resizeRGBA(img, l.newW, l.newH)
	plane := l.W * l.H
	const s = 1.0 / 255
	for y := range l.newH {
		src := scaled.Pix[y*scaled.Stride : y*scaled.Stride+4*l.newW]
		o := (l.top+y)*l.W + l.left
		r, g, b := out[o:o+l.newW], out[plane+o:plane+o+l.newW], out[2*plane+o:2*plane+o+l.newW]
		for x := range l.newW {
			r[x], g[x], b[x] = float32(src[4*x])*s, float32(src[4*x+1])*s, float32(src[4*x+2])*s
		}
	}
	return Tensor{Shape: []int64{3, int64(l.H), int64(l.W)}, Data: out}
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
