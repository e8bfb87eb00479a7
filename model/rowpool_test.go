package model

import (
	"image"
	"math"
	"slices"
	"testing"
)

// A row built in a recycled buffer is the row built in a fresh one: every
// element is written, none left from the image before (here NaN), for the
// letterbox of a JPEG, of any other image, and for a page's text
// detection row.
func TestRowsFromRecycledBuffersAreWhole(t *testing.T) {
	photo := photoYCbCr(333, 101, image.YCbCrSubsampleRatio420)
	lb := newLetterbox(333, 101, 160, 160)
	det := &detCodec{maxSide: 960, multiple: 32, mul: [3]float32{1, 1, 1}}
	cases := map[string]func() Tensor{
		"letterbox, YCbCr":   func() Tensor { return lb.row(photo) },
		"letterbox, other":   func() Tensor { return lb.row(hidden{photo}) },
		"text detection row": func() Tensor { return det.row(photo) },
	}
	for name, row := range cases {
		t.Run(name, func(t *testing.T) {
			first := row()
			want := slices.Clone(first.Data.([]float32))
			for try := 0; ; try++ {
				stale := make([]float32, len(want))
				for i := range stale {
					stale[i] = float32(math.NaN())
				}
				recycleRow(Tensor{Data: stale})
				got := row().Data.([]float32)
				if &got[0] != &stale[0] { // the pool may drop what it holds at any time
					if try == 20 {
						t.Fatal("the row never came from the recycled buffer")
					}
					continue
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("element %d is %v in a recycled buffer, %v in a fresh one", i, got[i], want[i])
					}
				}
				return
			}
		})
	}
}
