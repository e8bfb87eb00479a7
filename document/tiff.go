package document

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/draw"
	"image/jpeg"
	"io"

	"golang.org/x/image/tiff"
)

// TIFF tags read here; x/image/tiff reads the rest.
const (
	tagWidth           = 256
	tagHeight          = 257
	tagCompression     = 259
	tagStripOffsets    = 273
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagTileWidth       = 322
	tagPhotometric     = 262
	tagJPEGTables      = 347

	compressionJPEG = 7 // "new-style" JPEG: x/image/tiff does not decode it
)

// tiffFile is a TIFF's page list: x/image/tiff decodes only the first
// image of a file, so each page is decoded from a view of the file whose
// header points at that page's IFD.
type tiffFile struct {
	data []byte
	bo   binary.ByteOrder
	ifds []uint32
}

func openTIFF(data []byte, o Options) (*Document, error) {
	t := &tiffFile{data: data}
	if err := t.walk(o.MaxPages); err != nil {
		return nil, err
	}
	return &Document{format: TIFF, pages: len(t.ifds), page: func(_ context.Context, i int) (Page, error) {
		return imagePage(t.page(i, o))
	}}, nil
}

// walk follows the chain of IFDs (the pages), refusing loops and more
// pages than max.
func (t *tiffFile) walk(max int) error {
	d := t.data
	if len(d) < 8 {
		return errorf(CodeUndecodableImage, "a TIFF of %d bytes has no header", len(d))
	}
	if d[0] == 'I' {
		t.bo = binary.LittleEndian
	} else {
		t.bo = binary.BigEndian
	}
	if t.bo.Uint16(d[2:]) == 43 {
		return errorf(CodeUnsupportedFormat, "BigTIFF is not supported; send a classic TIFF, PDF or PNG pages")
	}
	seen := map[uint32]bool{}
	for off := t.bo.Uint32(d[4:]); off != 0; {
		if seen[off] {
			return errorf(CodeUndecodableImage, "TIFF page list loops back to offset %d", off)
		}
		seen[off] = true
		if int64(off)+2 > int64(len(d)) {
			if len(t.ifds) > 0 { // a truncated tail: the pages before it are whole
				break
			}
			return errorf(CodeUndecodableImage, "TIFF page at offset %d lies beyond the file's %d bytes", off, len(d))
		}
		if len(t.ifds) == max {
			return errorf(CodeTooManyPages, "the TIFF has more than %d pages, the most this model reads", max)
		}
		t.ifds = append(t.ifds, off)
		next := int64(off) + 2 + 12*int64(t.bo.Uint16(d[off:]))
		if next+4 > int64(len(d)) {
			break
		}
		off = t.bo.Uint32(d[next:])
	}
	if len(t.ifds) == 0 {
		return errorf(CodeUndecodableImage, "the TIFF has no pages")
	}
	return nil
}

// pageView serves the file with its first-IFD offset replaced, so a
// decoder of first images reads page ifd. It implements io.ReaderAt, which
// x/image/tiff uses as it is, without copying the file.
type pageView struct {
	data   []byte
	header [8]byte
}

func (v *pageView) ReadAt(p []byte, off int64) (int, error) {
	r := bytes.NewReader(v.data)
	n, err := r.ReadAt(p, off)
	for i := off; i < 8 && i < off+int64(n); i++ {
		p[i-off] = v.header[i]
	}
	return n, err
}

func (t *tiffFile) page(i int, o Options) (image.Image, error) {
	f := t.fields(t.ifds[i])
	if err := checkSize(int(f[tagWidth].first()), int(f[tagHeight].first()), o); err != nil {
		return nil, err
	}
	if f[tagCompression].first() == compressionJPEG {
		return t.jpegPage(f)
	}
	v := &pageView{data: t.data}
	copy(v.header[:4], t.data[:4])
	t.bo.PutUint32(v.header[4:], t.ifds[i])
	img, err := tiff.Decode(io.NewSectionReader(v, 0, int64(len(t.data))))
	if err != nil {
		return nil, errorf(CodeUndecodableImage, "decode TIFF page %d: %v", i+1, err)
	}
	if c := f[tagCompression].first(); (c == 3 || c == 4) && f[tagPhotometric].first() == 1 {
		// A fax page's codes name white and black runs as bits 0 and 1;
		// PhotometricInterpretation BlackIsZero (as Pillow writes) then
		// shows bit 0 black, as libtiff reads it. x/image/tiff decodes the
		// runs by their fax colour and shows the page inverted.
		invertGray(img)
	}
	return img, nil
}

// field is one IFD entry's values (SHORT or LONG), or its raw bytes
// (UNDEFINED, as JPEGTables).
type field struct {
	vals []uint32
	raw  []byte
}

func (f field) first() uint32 {
	if len(f.vals) == 0 {
		return 0
	}
	return f.vals[0]
}

// fields reads the entries this package needs from one IFD; entries that
// point outside the file are left out.
func (t *tiffFile) fields(off uint32) map[uint16]field {
	d, bo := t.data, t.bo
	out := map[uint16]field{}
	n := int(bo.Uint16(d[off:]))
	for k := range n {
		e := int(off) + 2 + 12*k
		if e+12 > len(d) {
			break
		}
		tag, typ, count := bo.Uint16(d[e:]), bo.Uint16(d[e+2:]), bo.Uint32(d[e+4:])
		size := map[uint16]int{1: 1, 3: 2, 4: 4, 7: 1}[typ]
		if size == 0 || count > 1<<24 {
			continue
		}
		total := size * int(count)
		val := d[e+8 : e+12]
		if total > 4 {
			p := int64(bo.Uint32(val))
			if p+int64(total) > int64(len(d)) {
				continue
			}
			val = d[p : p+int64(total)]
		}
		f := field{raw: val[:total]}
		for j := range int(count) {
			switch size {
			case 2:
				f.vals = append(f.vals, uint32(bo.Uint16(val[2*j:])))
			case 4:
				f.vals = append(f.vals, bo.Uint32(val[4*j:]))
			default:
				f.vals = append(f.vals, uint32(val[j]))
			}
		}
		out[tag] = f
	}
	return out
}

// jpegPage decodes a JPEG-compressed page (compression 7, what scanners and
// libtiff write): each strip is a JPEG stream, abbreviated when the page
// holds shared JPEGTables, which then precede the strip's own markers.
func (t *tiffFile) jpegPage(f map[uint16]field) (image.Image, error) {
	w, h := int(f[tagWidth].first()), int(f[tagHeight].first())
	if _, tiled := f[tagTileWidth]; tiled {
		return nil, errorf(CodeUndecodableImage, "tiled JPEG-compressed TIFF pages are not supported; send strips, PDF or PNG")
	}
	offs, counts := f[tagStripOffsets].vals, f[tagStripByteCounts].vals
	if len(offs) == 0 || len(offs) != len(counts) {
		return nil, errorf(CodeUndecodableImage, "a JPEG-compressed TIFF page without a matching strip list")
	}
	rows := int(f[tagRowsPerStrip].first())
	if rows <= 0 || rows > h {
		rows = h
	}
	tables := f[tagJPEGTables].raw
	if len(tables) >= 4 {
		tables = tables[:len(tables)-2] // without its EOI
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for s, off := range offs {
		end := int64(off) + int64(counts[s])
		if end > int64(len(t.data)) {
			return nil, errorf(CodeUndecodableImage, "strip %d of a JPEG-compressed TIFF page lies beyond the file", s+1)
		}
		strip := t.data[off:end]
		stream := strip
		if len(tables) > 0 && len(strip) > 2 {
			stream = append(append([]byte(nil), tables...), strip[2:]...) // tables' SOI, then the strip after its own
		}
		img, err := jpeg.Decode(bytes.NewReader(stream))
		if err != nil {
			return nil, errorf(CodeUndecodableImage, "decode strip %d of a JPEG-compressed TIFF page: %v", s+1, err)
		}
		y := s * rows
		draw.Draw(dst, image.Rect(0, y, w, min(y+rows, h)), img, img.Bounds().Min, draw.Src)
	}
	return dst, nil
}

func invertGray(img image.Image) {
	if g, ok := img.(*image.Gray); ok {
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
	}
}
