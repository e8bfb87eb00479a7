package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"golang.org/x/image/bmp"
)

// pngHeader is a PNG holding only a signature and an IHDR declaring w×h:
// a decompression bomb's cheap first bytes.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func wideStrip(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return textimg.EncodePNG(img)
}

func TestBadInputs(t *testing.T) {
	good := textimg.PNG("Total: $12.50", textimg.Options{})
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name  string
		model string
		input []byte
		code  string
	}{
		{"empty file", "ppocr-rec", nil, codeEmptyInput},
		{"truncated PNG", "ppocr-rec", good[:len(good)/2], codeUndecodableImage},
		{"random bytes", "ppocr-rec", random, codeUnsupportedFormat},
		{"HEIC", "ppocr-cls", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...), codeUnsupportedFormat},
		{"a broken PDF to a plain image model", "ppocr-cls", []byte("%PDF-1.4\n"), codeUndecodableDoc},
		{"bomb header 100000x100000", "ppocr-cls", pngHeader(100000, 100000), codeImageTooLarge},
		{"48x20000 strip", "ppocr-rec", wideStrip(20000, 48), codeImageDimensions},
		{"over the byte cap", "iris-rf", []byte(`{"features": [1,2,3,4]}` + strings.Repeat(" ", 70000)), codeInputTooLarge},
		{"wrong feature count", "iris-rf", []byte(`{"features": [5.1, 3.5, 1.4]}`), codeWrongFeatureCount},
		{"missing named feature", "iris-rf", []byte(`{"features": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}}`), codeWrongFeatureCount},
		{"NaN", "iris-rf", []byte(`{"features": [5.1, "NaN", 1.4, 0.2]}`), codeNonFiniteFeature},
		{"-Infinity", "iris-rf", []byte(`{"features": [5.1, 3.5, "-Infinity", 0.2]}`), codeNonFiniteFeature},
		{"beyond float32", "iris-rf", []byte(`{"features": [5.1, 3.5, 1e39, 0.2]}`), codeNonFiniteFeature},
		{"not JSON", "iris-rf", []byte(`5.1,3.5,1.4,0.2`), codeInvalidFeatures},
		{"no features", "iris-rf", []byte(`{"values": [5.1, 3.5, 1.4, 0.2]}`), codeInvalidFeatures},
		{"number as string", "iris-rf", []byte(`{"features": [5.1, "3.5", 1.4, 0.2]}`), codeInvalidFeatures},
		{"unknown feature name", "iris-rf", []byte(`{"features": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "colour": 1}}`), codeInvalidFeatures},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.model).Preprocess(tc.input)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v (%T), want an *InputError %s", err, err, tc.code)
			}
			if ie.Code != tc.code {
				t.Fatalf("got %s (%s), want %s", ie.Code, ie.Message, tc.code)
			}
			t.Logf("%s", ie)
		})
	}
}

func TestEveryPictureFormatReads(t *testing.T) {
	m := load(t, "ppocr-rec")
	const text = "Invoice 2026-11-27"
	img := textimg.Render(text, textimg.Options{Size: 32})
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	// Black text on a transparent background must read like on white paper.
	g := img.(*image.Gray)
	clear := image.NewNRGBA(g.Bounds())
	for i, v := range g.Pix {
		clear.Pix[4*i+3] = 255 - v
	}
	var gf, bm bytes.Buffer
	if err := gif.Encode(&gf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bm, img); err != nil {
		t.Fatal(err)
	}
	// A photo of the line taken sideways: stored turned 90° with EXIF
	// orientation 8, it reads only if the orientation is applied.
	sideways := docmake.TurnedPhoto(t, textimg.EncodePNG(img), "ROTATE_270", 8)
	for name, data := range map[string][]byte{"jpeg": jpg.Bytes(), "transparent png": textimg.EncodePNG(clear),
		"gif": gf.Bytes(), "bmp": bm.Bytes(), "EXIF-rotated jpeg": sideways} {
		r, err := m.Preprocess(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := runOne(t, m, []Tensor{r}, 0)["text"]; got != text {
			t.Errorf("%s: got %q, want %q", name, got, text)
		}
	}
}
