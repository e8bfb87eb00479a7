package document

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// exifOrientation reads the Orientation tag (0x0112) of a JPEG's APP1 Exif
// segment: 1 (as stored) when there is none or it cannot be read, since a
// photo without the tag is displayed as stored.
func exifOrientation(data []byte) int {
	for p := 2; p+4 <= len(data) && data[p] == 0xff; {
		marker := data[p+1]
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
			p += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 { // image data: the Exif segment comes before
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		end := p + 2 + n
		if n < 2 || end > len(data) {
			return 1
		}
		if seg := data[p+4 : end]; marker == 0xe1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		p = end
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in IFD0 of the TIFF structure inside an
// Exif segment.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for i := range count {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orientImage turns a stored image into the displayed one for EXIF
// orientation o (1: as stored; 2–8: the mirrors and rotations in the EXIF
// specification's order). A phone photo (orientation 6) pays this on every
// decode, so a JPEG's planes are turned as they are (orientYCbCr) and any
// other image is copied a pixel a word from where it is stored to where
// it is displayed.
func orientImage(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok {
		if turned, ok := orientYCbCr(y, o); ok {
			return turned
		}
	}
	return orientRGBA(img, o)
}

// orientRGBA is orientImage through an RGBA copy of img.
func orientRGBA(img image.Image, o int) *image.RGBA {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	origin, xStep, yStep := orientSteps(o, w, h, dw)
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		at := origin + y*yStep
		for x := range w {
			binary.LittleEndian.PutUint32(dst.Pix[4*at:], binary.LittleEndian.Uint32(row[4*x:]))
			at += xStep
		}
	}
	return dst
}

// orientYCbCr turns a JPEG's planes themselves: no conversion to RGB (the
// decoder's YCbCr to an RGBA took more than the turn), a third of the
// bytes to move, and the result a YCbCr, which scaling reads fastest. Y
// goes pixel by pixel; each displayed chroma sample is the stored one
// under its block's first pixel: the same sample when the sides are whole
// blocks (a block turns onto a block), else one a pixel over, which a
// photo's smooth chroma hardly shows. A turn by 90° swaps the subsampling's
// axes (4:2:2 and 4:4:0); 4:1:1 and 4:1:0 have no turned counterpart in
// image.YCbCr, and go through RGBA.
func orientYCbCr(src *image.YCbCr, o int) (*image.YCbCr, bool) {
	ratio := src.SubsampleRatio
	if o >= 5 {
		switch ratio {
		case image.YCbCrSubsampleRatio422:
			ratio = image.YCbCrSubsampleRatio440
		case image.YCbCrSubsampleRatio440:
			ratio = image.YCbCrSubsampleRatio422
		case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
		default:
			return nil, false
		}
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
	origin, xStep, yStep := orientSteps(o, w, h, dw)
	for y := range h {
		at := origin + y*yStep
		for _, v := range src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y+y):][:w] {
			dst.Y[at] = v
			at += xStep
		}
	}
	bw, bh := chromaBlock(ratio)
	for dy := 0; dy < dh; dy += bh {
		for dx := 0; dx < dw; dx += bw {
			x, y := storedAt(o, w, h, dx, dy)
			c, d := src.COffset(src.Rect.Min.X+x, src.Rect.Min.Y+y), dst.COffset(dx, dy)
			dst.Cb[d], dst.Cr[d] = src.Cb[c], src.Cr[c]
		}
	}
	return dst, true
}

// chromaBlock is the pixels one chroma sample covers, across and down.
func chromaBlock(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// storedAt is the stored pixel of a w×h image displayed at (dx, dy) under
// orientation o: orientSteps the other way.
func storedAt(o, w, h, dx, dy int) (int, int) {
	switch o {
	case 2:
		return w - 1 - dx, dy
	case 3:
		return w - 1 - dx, h - 1 - dy
	case 4:
		return dx, h - 1 - dy
	case 5:
		return dy, dx
	case 6:
		return dy, h - 1 - dx
	case 7:
		return w - 1 - dy, h - 1 - dx
	default: // 8
		return w - 1 - dy, dx
	}
}

// orientSteps is where, as a pixel index into the displayed image (dw
// wide), the stored pixel (0, 0) goes for orientation o, and how far a
// step right and a step down in the stored w×h image move it.
func orientSteps(o, w, h, dw int) (origin, xStep, yStep int) {
	switch o {
	case 2: // mirrored
		return w - 1, -1, dw
	case 3: // upside down
		return (h-1)*dw + w - 1, -1, -dw
	case 4: // mirrored vertically
		return (h - 1) * dw, 1, -dw
	case 5: // transposed
		return 0, dw, 1
	case 6: // stored rotated 90° anticlockwise: turn clockwise
		return h - 1, dw, -1
	case 7: // transversed
		return (w-1)*dw + h - 1, -dw, -1
	default: // 8, stored rotated 90° clockwise: turn anticlockwise
		return (w - 1) * dw, -dw, 1
	}
}
