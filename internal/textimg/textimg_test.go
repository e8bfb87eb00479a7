package textimg

import (
	"bytes"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"
)

func TestCorpusDeterministicAndVaried(t *testing.T) {
	a, b := Corpus(200, 7), Corpus(200, 7)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatal("same seed gave different lines")
	}
	if strings.Join(a, "\n") == strings.Join(Corpus(200, 8), "\n") {
		t.Fatal("different seeds gave the same lines")
	}
	uniq := map[string]bool{}
	for _, l := range a {
		uniq[l] = true
	}
	if len(uniq) < 190 {
		t.Errorf("only %d distinct lines of 200", len(uniq))
	}
	for _, tc := range []struct{ what, re string }{
		{"price", `\$\d+\.\d\d`},
		{"date", `\d{4}-\d\d-\d\d`},
		{"punctuation", `[,.?:%()]`},
		{"upper case", `[A-Z]`},
		{"lower case", `[a-z]`},
	} {
		re := regexp.MustCompile(tc.re)
		n := 0
		for _, l := range a {
			if re.MatchString(l) {
				n++
			}
		}
		if n < 10 {
			t.Errorf("%s appears in only %d lines", tc.what, n)
		}
	}
}

func TestRenderInkAndSize(t *testing.T) {
	for _, f := range Fonts {
		img := Render("Total: $12.50", Options{Font: f, Size: 32})
		b := img.Bounds()
		if b.Dy() < 32 || b.Dx() < 150 {
			t.Errorf("%s: image %v is too small for the text", f, b)
		}
		if ink := inkFraction(img); ink < 0.03 || ink > 0.5 {
			t.Errorf("%s: %.3f of pixels are ink", f, ink)
		}
	}
	if h := Render("x", Options{Height: 48}).Bounds().Dy(); h != 48 {
		t.Errorf("Height 48 gave %d", h)
	}
	long, short := Render("a much longer line of text", Options{}), Render("short", Options{})
	if long.Bounds().Dx() <= short.Bounds().Dx() {
		t.Error("a longer line is not wider")
	}
}

func TestPNGRoundTripAndRotate(t *testing.T) {
	opts := Options{Font: Bold, Size: 28}
	data := PNG("2026-11-27", opts)
	if !bytes.Equal(data, PNG("2026-11-27", opts)) {
		t.Fatal("rendering is not deterministic")
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rot := Rotate180(img)
	b := img.Bounds()
	if rot.Bounds().Dx() != b.Dx() || rot.Bounds().Dy() != b.Dy() {
		t.Fatalf("rotated bounds %v, want %v", rot.Bounds(), b)
	}
	for _, p := range []image.Point{{0, 0}, {b.Dx() / 3, b.Dy() / 2}, {b.Dx() - 1, b.Dy() - 1}} {
		r1, _, _, _ := img.At(p.X, p.Y).RGBA()
		r2, _, _, _ := rot.At(b.Dx()-1-p.X, b.Dy()-1-p.Y).RGBA()
		if r1 != r2 {
			t.Errorf("pixel %v moved wrongly: %d vs %d", p, r1, r2)
		}
	}
	again := Rotate180(rot)
	for y := range b.Dy() {
		for x := range b.Dx() {
			r1, _, _, _ := img.At(x, y).RGBA()
			r2, _, _, _ := again.At(x, y).RGBA()
			if r1 != r2 {
				t.Fatalf("rotating twice changed pixel (%d,%d)", x, y)
			}
		}
	}
}

func inkFraction(img image.Image) float64 {
	b := img.Bounds()
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(b.Dx()*b.Dy())
}
