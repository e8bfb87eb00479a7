package model

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// cropLine cuts the quadrilateral q (tl, tr, br, bl, in page pixel
// centres) out of page with one affine warp straight to height h, the
// width following the box's aspect ratio (PaddleOCR's
// get_rotate_crop_image followed by the recogniser's resize, in a single
// interpolation). A box at least 1.5 times taller than wide is turned a
// quarter counter-clockwise first, as PaddleOCR does, since it holds a
// vertical line. Parts of the box outside the page are white paper.
func cropLine(page image.Image, q [4]point, h int, margin float64) *image.RGBA {
	tl, tr, br, bl := q[0], q[1], q[2], q[3]
	bw := max(tl.dist(tr), bl.dist(br))
	bh := max(tl.dist(bl), tr.dist(br))
	if bw < 1 || bh < 1 {
		return image.NewRGBA(image.Rect(0, 0, 1, h))
	}
	if bh/bw >= 1.5 {
		tl, tr, br, bl = tr, br, bl, tl
		bw, bh = bh, bw
	}
	if margin > 0 {
		// Push every side out by margin × the box's height.
		ux, uy := tr.sub(tl).scale(1/tl.dist(tr)), bl.sub(tl).scale(1/tl.dist(bl))
		m := bh * margin
		dx, dy := ux.scale(m), uy.scale(m)
		tl, tr, bl = tl.sub(dx).sub(dy), tr.add(dx).sub(dy), bl.sub(dx).add(dy)
		bw, bh = bw+2*m, bh+2*m
	}
	w := max(int(math.Ceil(float64(h)*bw/bh)), 1)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)

	// dst → src: src = o + u·ex + v·ey in x/image's continuous coordinates,
	// where pixel centres sit at +0.5; s2d is its inverse.
	o := tl.add(point{0.5, 0.5})
	ex := tr.sub(tl).scale(1 / float64(w))
	ey := bl.sub(tl).scale(1 / float64(h))
	det := ex.X*ey.Y - ey.X*ex.Y
	if det == 0 {
		return dst
	}
	a, b := ey.Y/det, -ey.X/det
	c, d := -ex.Y/det, ex.X/det
	s2d := f64.Aff3{a, b, -(a*o.X + b*o.Y), c, d, -(c*o.X + d*o.Y)}
	draw.BiLinear.Transform(dst, s2d, page, page.Bounds(), draw.Over, nil)
	return dst
}

// rotate180 turns a crop upside down, for crops the direction classifier
// reads as upside down.
func rotate180(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	w, h := b.Dx(), b.Dy()
	for y := range h {
		for x := range w {
			s := src.PixOffset(b.Min.X+x, b.Min.Y+y)
			d := dst.PixOffset(w-1-x, h-1-y)
			copy(dst.Pix[d:d+4], src.Pix[s:s+4])
		}
	}
	return dst
}
