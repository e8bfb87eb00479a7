package model

import (
	"fmt"
	"image"
	"math"
)

// detCodec is preprocess kind "detect_image", PaddleOCR's det transform:
// resize keeping the aspect ratio so the longer side is at most MaxSide,
// round both sides to a multiple of WidthMultiple (32: DB downsamples by
// 32), normalise.
type detCodec struct {
	maxSide, multiple int
	bgr               bool
	mul, add          [3]float32
}

func newDetCodec(m Manifest) (*detCodec, error) {
	p := m.Preprocess
	if in := m.Inputs[0].Shape; len(in) != 4 || in[1] != 3 || in[2] != -1 || in[3] != -1 {
		return nil, fmt.Errorf("preprocess.kind detect_image needs inputs[0].shape [-1, 3, -1, -1], manifest says %v", in)
	}
	c := &detCodec{maxSide: p.MaxSide, multiple: p.WidthMultiple}
	if c.maxSide < 32 {
		return nil, fmt.Errorf("preprocess.max_side is %d; it must be at least 32", c.maxSide)
	}
	if c.multiple < 1 {
		return nil, fmt.Errorf("preprocess.width_multiple is %d; detect_image needs the multiple both sides are rounded to (32 for DB)", c.multiple)
	}
	var err error
	if c.bgr, c.mul, c.add, err = normalisation(p); err != nil {
		return nil, err
	}
	return c, nil
}

// size is the detection input size for a w×h page (each side rounded to
// the nearest multiple, halves up, where PaddleOCR rounds halves to even).
func (c *detCodec) size(w, h int) (int, int) {
	ratio := 1.0
	if s := max(w, h); s > c.maxSide {
		ratio = float64(c.maxSide) / float64(s)
	}
	round := func(n int) int {
		return max(int(math.Round(float64(n)*ratio/float64(c.multiple)))*c.multiple, c.multiple)
	}
	return round(w), round(h)
}

// row turns a decoded page into its [3, H, W] detection row.
func (c *detCodec) row(img image.Image) Tensor {
	b := img.Bounds()
	w, h := c.size(b.Dx(), b.Dy())
	dst := resizeRGBA(img, w, h)
	out := newRow(3 * w * h)
	normaliseCHW(out, dst, w, c.bgr, c.mul, c.add)
	return Tensor{Shape: []int64{3, int64(h), int64(w)}, Data: out}
}
