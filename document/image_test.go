package document

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
)

// Every single-picture format decodes to the picture Pillow wrote: PNG in
// 8 and 16 bits and with a palette, JPEG in colour, grey and CMYK (as
// Photoshop writes it, inverted with an Adobe marker), GIF, BMP, WebP
// lossless and lossy.
func TestFormatsDecodeToThePicture(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir+"/scene.png", scene(384, 256, 1))
	docmake.Pillow(t, dir, `
im = Image.open("scene.png").convert("RGB")
im.save("rgb16.png")  # rewritten below as 16-bit
Image.open("scene.png").convert("RGB").quantize(16).save("palette.png")
im.save("rgb.jpg", quality=95)
im.convert("L").save("grey.jpg", quality=95)
im.convert("L").save("grey.png")
im.convert("CMYK").save("cmyk.jpg", quality=95)
im.save("first.gif")
im.save("scene.bmp")
im.save("lossless.webp", lossless=True)
im.save("lossy.webp", quality=90)
Image.open("lossy.webp").convert("RGB").save("lossy-pillow.png")
`)
	ref := readPNG(t, dir, "scene.png")
	grey := readPNG(t, dir, "grey.png")
	tests := []struct {
		file   string
		format Format
		want   image.Image
		tol    float64
	}{
		{"scene.png", PNG, ref, 0},
		{"palette.png", PNG, ref, 3},
		{"rgb.jpg", JPEG, ref, 4},
		{"grey.jpg", JPEG, grey, 3},
		{"cmyk.jpg", JPEG, ref, 6},
		{"first.gif", GIF, ref, 3},
		{"scene.bmp", BMP, ref, 0},
		{"lossless.webp", WebP, ref, 0},
		{"lossy.webp", WebP, readPNG(t, dir, "lossy-pillow.png"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFile(t, dir, tt.file)
			if f := Sniff(data); f != tt.format {
				t.Fatalf("sniffed %q, want %q", f, tt.format)
			}
			p, d := pages(t, data, Options{})
			if d.Paged() || len(p) != 1 {
				t.Fatalf("paged %v with %d pages; want one picture", d.Paged(), len(p))
			}
			if diff := meanDiff(p[0].Image, tt.want); diff < 0 || diff > tt.tol {
				t.Errorf("mean difference %.2f from the picture, want ≤ %.0f", diff, tt.tol)
			}
		})
	}
}

// A 16-bit PNG keeps its precision through decoding.
func TestSixteenBitPNG(t *testing.T) {
	img := image.NewRGBA64(image.Rect(0, 0, 4, 2))
	img.Set(1, 1, color.RGBA64{0x1234, 0xfedc, 0x8000, 0xffff})
	got := decoded(t, func(w io.Writer) error { return png.Encode(w, img) })
	if r, g, _, _ := got.At(1, 1).RGBA(); r != 0x1234 || g != 0xfedc {
		t.Errorf("pixel %x %x, want 1234 fedc", r, g)
	}
}

// Only an animated GIF's first frame is read.
func TestGIFFirstFrame(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	a := &gif.GIF{}
	for _, c := range []uint8{1, 0} {
		f := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
		for i := range f.Pix {
			f.Pix[i] = c
		}
		a.Image, a.Delay = append(a.Image, f), append(a.Delay, 10)
	}
	img := decoded(t, func(w io.Writer) error { return gif.EncodeAll(w, a) })
	if r, _, _, _ := img.At(3, 3).RGBA(); r != 0xffff {
		t.Errorf("the first (white) frame was not the one read")
	}
}

// Every EXIF orientation comes out as Pillow's ImageOps.exif_transpose
// displays it, which is the upright scene.
func TestEXIFOrientation(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, dir+"/scene.png", scene(96, 64, 2))
	docmake.Pillow(t, dir, `
T = Image.Transpose
stored = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_90, 7: T.TRANSVERSE, 8: T.ROTATE_270}
im = Image.open("scene.png").convert("RGB")
for o, op in stored.items():
    s = im if op is None else im.transpose(op)
    ex = Image.Exif()
    ex[0x0112] = o
    s.save("o%d.jpg" % o, quality=95, exif=ex.tobytes())
    ImageOps.exif_transpose(Image.open("o%d.jpg" % o)).save("o%d.png" % o)
`)
	ref := readPNG(t, dir, "scene.png")
	for o := 1; o <= 8; o++ {
		data := readFile(t, dir, "o"+string(rune('0'+o))+".jpg")
		if got := exifOrientation(data); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
		img, err := DecodeImage(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		pil := readPNG(t, dir, "o"+string(rune('0'+o))+".png")
		if d := meanDiff(img, pil); d < 0 || d > 3 { // two JPEG decoders differ by about 2
			t.Errorf("orientation %d: %v differs from Pillow's display by %.2f", o, img.Bounds(), d)
		}
		if d := meanDiff(img, ref); d < 0 || d > 5 {
			t.Errorf("orientation %d: not upright (difference %.2f)", o, d)
		}
	}
}

// A JPEG's planes turned as they are give the pixels its RGBA turned
// gives, for every orientation and subsampling a turn keeps (4:1:1 falls
// back to RGBA): the same to the level when the sides are whole chroma
// blocks, within two levels on average when not (a turned block
// straddles two).
func TestOrientYCbCrMatchesRGBA(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
	}
	for _, ratio := range ratios {
		for _, sz := range [][2]int{{96, 64}, {97, 63}} { // whole blocks of every ratio, and not
			src := image.NewYCbCr(image.Rect(0, 0, sz[0], sz[1]), ratio)
			for i := range src.Y {
				src.Y[i] = uint8(i * 7 % 251)
			}
			for i := range src.Cb { // smooth, as a photo's chroma is
				src.Cb[i], src.Cr[i] = uint8(96+64*(i%src.CStride)/src.CStride), uint8(96+64*i/len(src.Cr))
			}
			for o := 2; o <= 8; o++ {
				got, want := orientImage(src, o), orientRGBA(src, o)
				if _, turned := got.(*image.YCbCr); turned == (ratio == image.YCbCrSubsampleRatio411 && o >= 5) {
					t.Errorf("%v %v orientation %d: came out a %T", ratio, sz, o, got)
				}
				rgba := image.NewRGBA(got.Bounds()) // converted as want was
				draw.Draw(rgba, rgba.Bounds(), got, got.Bounds().Min, draw.Src)
				limit := 0.0
				if sz[0]%2 == 1 { // a pixel's chroma shift, on a gradient steeper than a photo's
					limit = 2
				}
				if d := meanDiff(rgba, want); d < 0 || d > limit {
					t.Errorf("%v %v orientation %d: %v differs from the RGBA turn %v by %.3f levels", ratio, sz, o, got.Bounds(), want.Bounds(), d)
				}
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	heic := append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 32)...)
	checkRefusals(t, []refusal{
		{"heic", heic, Options{}, CodeUnsupportedFormat, "send JPEG"},
		{"text", []byte("hello, this is text"), Options{}, CodeUnsupportedFormat, "text/plain"},
		{"empty", nil, Options{}, CodeEmptyInput, ""},
		{"truncated png", pngBytes(t, 40, 40)[:60], Options{}, CodeUndecodableImage, ""},
		{"over the pixel cap", pngBytes(t, 40, 40), Options{MaxPixels: 1000}, CodeImageTooLarge, "1600"},
	})
}

// decoded is what DecodeImage makes of the bytes encode writes.
func decoded(t *testing.T, encode func(io.Writer) error) image.Image {
	t.Helper()
	var b bytes.Buffer
	if err := encode(&b); err != nil {
		t.Fatal(err)
	}
	img, err := DecodeImage(b.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pngBytes(t *testing.T, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, scene(w, h, 0)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
