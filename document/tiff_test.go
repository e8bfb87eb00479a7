package document

import (
	"fmt"
	"image"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
)

// Every page of a multi-page TIFF as libtiff (through Pillow) writes it:
// uncompressed, LZW, JPEG-compressed (compression 7, with shared
// JPEGTables and several strips) and Group 4 fax, each page the one
// written, or libtiff's reading of it.
func TestTIFFPages(t *testing.T) {
	dir := t.TempDir()
	for p := range 3 {
		writePNG(t, fmt.Sprintf("%s/p%d.png", dir, p), scene(240, 160+40*p, p))
	}
	docmake.Pillow(t, dir, `
pages = [Image.open("p%d.png" % i).convert("RGB") for i in range(3)]
pages[0].save("raw.tif", save_all=True, append_images=pages[1:])
pages[0].save("lzw.tif", save_all=True, append_images=pages[1:], compression="tiff_lzw")
pages[0].save("jpeg.tif", save_all=True, append_images=pages[1:], compression="jpeg", quality=95, tiffinfo={278: 32})
fax = [p.convert("1") for p in pages]
fax[0].save("fax.tif", save_all=True, append_images=fax[1:], compression="group4")
for name in ["jpeg.tif", "fax.tif"]:
    im = Image.open(name)
    for i in range(im.n_frames):
        im.seek(i)
        im.convert("RGB").save("%s.%d.png" % (name, i))
`)
	tests := []struct {
		file string
		want func(i int) image.Image
		tol  float64
	}{
		{"raw.tif", func(i int) image.Image { return readPNG(t, dir, fmt.Sprintf("p%d.png", i)) }, 0},
		{"lzw.tif", func(i int) image.Image { return readPNG(t, dir, fmt.Sprintf("p%d.png", i)) }, 0},
		{"jpeg.tif", func(i int) image.Image { return readPNG(t, dir, fmt.Sprintf("jpeg.tif.%d.png", i)) }, 3},
		{"fax.tif", func(i int) image.Image { return readPNG(t, dir, fmt.Sprintf("fax.tif.%d.png", i)) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, d := pages(t, readFile(t, dir, tt.file), Options{})
			if !d.Paged() || len(p) != 3 {
				t.Fatalf("paged %v with %d pages, want 3", d.Paged(), len(p))
			}
			for i, pg := range p {
				if diff := meanDiff(pg.Image, tt.want(i)); diff < 0 || diff > tt.tol {
					t.Errorf("page %d (%v): mean difference %.2f, want ≤ %.0f", i+1, pg.Image.Bounds(), diff, tt.tol)
				}
			}
		})
	}
	t.Run("too many pages", func(t *testing.T) {
		_, err := Open(t.Context(), readFile(t, dir, "lzw.tif"), Options{MaxPages: 2})
		wantCode(t, err, CodeTooManyPages)
	})
	t.Run("a page over the pixel cap", func(t *testing.T) {
		d, err := Open(t.Context(), readFile(t, dir, "lzw.tif"), Options{MaxPixels: 240 * 200})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Page(t.Context(), 1); err != nil {
			t.Errorf("page 2 (240×200): %v", err)
		}
		_, err = d.Page(t.Context(), 2)
		wantCode(t, err, CodeImageTooLarge)
	})
}
