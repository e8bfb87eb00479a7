package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/tensor"
)

// pngHeader is a PNG whose IHDR claims w×h pixels and holds no image data:
// a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestEngineMapsEveryBadInputToAPermanentCode checks the seam between the
// model's input errors and the job taxonomy: model cannot import jobs, so
// only this test notices a code the taxonomy does not know (which would be
// retried forever as transient).
func TestEngineMapsEveryBadInputToAPermanentCode(t *testing.T) {
	eng := newEngine(t, append(slices.Clone(models), ppocrPage(t))...)
	iris, rec, page := models[0], models[1], ppocrPage(t)
	good := textimg.PNG("Good line 42", textimg.Options{})
	noise := make([]byte, 512)
	rand.New(rand.NewSource(1)).Read(noise)
	cases := []struct {
		name string
		item Item
		want jobs.Code
	}{
		{"empty", bytesItem(rec, nil), jobs.CodeEmptyInput},
		{"truncated png", bytesItem(rec, good[:len(good)/2]), jobs.CodeUndecodableImage},
		{"random bytes", bytesItem(rec, noise), jobs.CodeUnsupportedFormat},
		{"heic", bytesItem(rec, append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...)), jobs.CodeUnsupportedFormat},
		{"bomb header", bytesItem(rec, pngHeader(100000, 100000)), jobs.CodeImageTooLarge},
		{"48x20000 strip", bytesItem(rec, encodePNG(t, image.NewGray(image.Rect(0, 0, 20000, 48)))), jobs.CodeImageDimensions},
		{"wrong feature count", bytesItem(iris, []byte(`{"features": [1, 2, 3]}`)), jobs.CodeWrongFeatureCount},
		{"NaN", bytesItem(iris, []byte(`{"features": [1, "NaN", 3, 4]}`)), jobs.CodeNonFiniteFeature},
		{"not features", bytesItem(iris, []byte(`{"rows": [1, 2, 3, 4]}`)), jobs.CodeInvalidFeatures},
		{"over the model's byte cap", bytesItem(iris, []byte(`{"features": [1, 2, 3, 4], "pad": "`+strings.Repeat("x", 70<<10)+`"}`)), jobs.CodeInputTooLarge},
		{"text that is not UTF-8", Item{Model: rec, Input: model.Input{Text: &model.Text{Text: "caf\xe9"}}}, jobs.CodeInvalidText},
		{"tensor of the wrong shape", Item{Model: iris, Input: model.Input{Tensors: []tensor.Named{{Name: "X", Tensor: tensor.New([]int64{1, 3}, []float32{1, 2, 3})}}}}, jobs.CodeInvalidTensor},
		{"broken pdf", bytesItem(page, []byte("%PDF-1.7\nnot a document\n")), jobs.CodeUndecodableDocument},
		{"101-page pdf", bytesItem(page, docmake.PDF(slices.Repeat([]docmake.PDFPage{{Lines: []string{"x"}}}, 101))), jobs.CodeTooManyPages},
	}
	// Every code the model can produce is a permanent taxonomy code, and
	// one of the cases above.
	covered := map[jobs.Code]bool{}
	for _, c := range cases {
		covered[c.want] = true
	}
	for _, code := range model.InputCodes {
		if !jobs.Code(code).Permanent() || !covered[jobs.Code(code)] {
			t.Errorf("model input code %q: permanent %v, covered by a case %v", code, jobs.Code(code).Permanent(), covered[jobs.Code(code)])
		}
	}
	// Every bad item sits between two good ones of the same model.
	var items []Item
	for _, c := range cases {
		neighbour := bytesItem(rec, good)
		if c.item.Model == iris {
			neighbour = bytesItem(iris, []byte(`{"features": [5.1, 3.5, 1.4, 0.2]}`))
		}
		items = append(items, neighbour, c.item, neighbour)
	}
	preds := eng.Predict(context.Background(), items)
	for i, c := range cases {
		p := preds[3*i+1]
		if got := jobs.CodeOf(p.Err); got != c.want || !got.Permanent() {
			t.Errorf("%s: code %q (permanent %v), want permanent %q; err %v", c.name, got, got.Permanent(), c.want, p.Err)
		}
		for _, n := range []Prediction{preds[3*i], preds[3*i+2]} {
			if n.Err != nil || n.Output == nil {
				t.Errorf("%s: a neighbour failed: %v", c.name, n.Err)
			}
		}
	}
	if got := preds[0].Output["text"]; got != "Good line 42" {
		t.Errorf("neighbour text %q", got)
	}
}
