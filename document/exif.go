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
// specification's order).
func orientImage(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// to maps a stored pixel (x, y) to its displayed place.
	to := map[int]func(x, y int) (int, int){
		2: func(x, y int) (int, int) { return w - 1 - x, y },         // mirrored
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }, // upside down
		4: func(x, y int) (int, int) { return x, h - 1 - y },         // mirrored vertically
		5: func(x, y int) (int, int) { return y, x },                 // transposed
		6: func(x, y int) (int, int) { return h - 1 - y, x },         // stored rotated 90° anticlockwise: turn clockwise
		7: func(x, y int) (int, int) { return h - 1 - y, w - 1 - x }, // transversed
		8: func(x, y int) (int, int) { return y, w - 1 - x },         // stored rotated 90° clockwise: turn anticlockwise
	}[o]
	for y := range h {
		row := src.Pix[y*src.Stride:]
		for x := range w {
			dx, dy := to(x, y)
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}
