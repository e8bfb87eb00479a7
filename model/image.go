package model

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/batchinfer/batchinfer/document"
	"golang.org/x/image/draw"
)

// imageCodec implements preprocess kinds "image" (fixed width, as PaddleOCR's
// direction classifier) and "text_line" (the row keeps its own width, as
// PaddleOCR's recogniser). Both follow PaddleOCR's resize_norm_img: height
// fixed, width ceil(height*w/h), normalised, padded right with pad_value.
type imageCodec struct {
	p       Preprocess
	dynamic bool // text_line: the row's width is its own
	bgr     bool
	mul     [3]float32 // per-channel scale/std: x*mul + add == (x*scale-mean)/std
	add     [3]float32
}

const defaultMaxPixels = 40_000_000

func newImageCodec(m Manifest) (*imageCodec, error) {
	p := m.Preprocess
	c := &imageCodec{p: p, dynamic: p.Kind == "text_line"}
	in := m.Inputs[0].Shape
	if len(in) != 4 || in[1] != 3 {
		return nil, fmt.Errorf("preprocess.kind %s needs inputs[0].shape [-1,3,H,W], manifest says %v", p.Kind, in)
	}
	if p.Height < 1 || (in[2] > 0 && in[2] != int64(p.Height)) {
		return nil, fmt.Errorf("preprocess.height is %d but inputs[0].shape[2] is %d", p.Height, in[2])
	}
	if c.dynamic {
		if in[3] != -1 {
			return nil, fmt.Errorf("preprocess.kind text_line needs a dynamic width: inputs[0].shape[3] is %d", in[3])
		}
		if p.MaxWidth < 1 || p.RejectWidth < p.MaxWidth || p.MinWidth > p.MaxWidth {
			return nil, fmt.Errorf("preprocess needs 0 <= min_width <= max_width <= reject_width; got %d, %d, %d", p.MinWidth, p.MaxWidth, p.RejectWidth)
		}
	} else if p.Width < 1 || (in[3] > 0 && in[3] != int64(p.Width)) {
		return nil, fmt.Errorf("preprocess.width is %d but inputs[0].shape[3] is %d", p.Width, in[3])
	}
	var err error
	if c.bgr, c.mul, c.add, err = normalisation(p); err != nil {
		return nil, err
	}
	if c.p.MaxPixels <= 0 {
		c.p.MaxPixels = defaultMaxPixels
	}
	return c, nil
}

// normalisation turns channel_order, scale, mean and std into per-channel
// x*mul + add factors.
func normalisation(p Preprocess) (bgr bool, mul, add [3]float32, err error) {
	switch p.ChannelOrder {
	case "RGB":
	case "BGR":
		bgr = true
	default:
		return false, mul, add, fmt.Errorf("preprocess.channel_order %q is not RGB or BGR", p.ChannelOrder)
	}
	if p.Scale == 0 || len(p.Mean) != 3 || len(p.Std) != 3 {
		return false, mul, add, fmt.Errorf("preprocess needs scale, and mean and std with 3 values each")
	}
	for i := range 3 {
		if p.Std[i] == 0 {
			return false, mul, add, fmt.Errorf("preprocess.std[%d] is 0", i)
		}
		mul[i] = p.Scale / p.Std[i]
		add[i] = -p.Mean[i] / p.Std[i]
	}
	return bgr, mul, add, nil
}

// decode decodes any picture the document package reads (PNG, JPEG with
// its EXIF orientation applied, GIF, BMP, WebP, a TIFF's first page) as it
// is displayed, after checking its declared size: a small file declaring
// 100000×100000 is rejected without allocating, and a text line too wide
// for the model before it is decoded.
func (c *imageCodec) decode(data []byte) (image.Image, error) {
	o := document.Options{MaxPixels: c.p.MaxPixels}
	if c.dynamic {
		o.Check = func(w, h int) error {
			if rw := resizedWidth(w, h, c.p.Height); rw > c.p.RejectWidth {
				return inputErrorf(codeImageDimensions, "a %d×%d image is %d px wide at height %d; a text line may be at most %d", w, h, rw, c.p.Height, c.p.RejectWidth)
			}
			return nil
		}
	}
	img, err := document.DecodeImage(data, o)
	if err != nil {
		return nil, asInputError(err)
	}
	return img, nil
}

// resizedWidth is PaddleOCR's ceil(height * w/h).
func resizedWidth(w, h, height int) int {
	return int(math.Ceil(float64(height) * float64(w) / float64(h)))
}

func (c *imageCodec) preprocess(data []byte) (Tensor, error) {
	img, err := c.decode(data)
	if err != nil {
		return Tensor{}, err
	}
	return c.preprocessImage(img), nil
}

// preprocessImage resizes and normalises a decoded image (a page's crop in
// a pipeline) into one row.
func (c *imageCodec) preprocessImage(img image.Image) Tensor {
	b := img.Bounds()
	H := c.p.Height
	rw := resizedWidth(b.Dx(), b.Dy(), H)
	var W int
	if c.dynamic {
		rw = min(rw, c.p.MaxWidth)
		W = max(roundUp(rw, c.p.WidthMultiple), c.p.MinWidth)
	} else {
		rw = min(rw, c.p.Width)
		W = c.p.Width
	}
	rw = max(rw, 1)
	dst := resizeRGBA(img, rw, H)
	out := make([]float32, 3*H*W)
	if c.p.PadValue != 0 {
		for i := range out {
			out[i] = c.p.PadValue
		}
	}
	normaliseCHW(out, dst, W, c.bgr, c.mul, c.add)
	return Tensor{Shape: []int64{3, int64(H), int64(W)}, Data: out}
}

// resizeRGBA scales img to w×h. A crop the pipeline already warped to the
// right size is used as it is.
func resizeRGBA(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	if r, ok := img.(*image.RGBA); ok && b.Dx() == w && b.Dy() == h && b.Min == (image.Point{}) {
		return r
	}
	// ApproxBiLinear is plain bilinear interpolation like cv2.INTER_LINEAR,
	// which PaddleOCR was trained with.
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		// Src has fast paths for Gray and YCbCr (PNG text lines, JPEGs).
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	} else {
		// Composite onto white: a transparent background is paper, not ink.
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	}
	return dst
}

// normaliseCHW writes src's pixels, normalised, into the top-left of out,
// a [3, H, W] tensor with W at least src's width.
func normaliseCHW(out []float32, src *image.RGBA, W int, bgr bool, mul, add [3]float32) {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	plane := h * W
	ch := [3]int{0, 1, 2} // output channel i takes source channel ch[i]
	if bgr {
		ch = [3]int{2, 1, 0}
	}
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := range w {
			px := row[4*x : 4*x+4]
			for i := range 3 {
				out[i*plane+y*W+x] = float32(px[ch[i]])*mul[i] + add[i]
			}
		}
	}
}

func roundUp(n, multiple int) int {
	if multiple <= 1 {
		return n
	}
	return (n + multiple - 1) / multiple * multiple
}
