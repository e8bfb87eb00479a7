package model

import (
	"math"
	"testing"
)

// paint sets prob to v inside the rotated rectangle r of map m.
func paint(m probMap, r rotRect, v float32) {
	q := r.corners()
	for y := range m.h {
		for x := range m.w {
			if insideQuad(q, point{float64(x), float64(y)}) {
				m.data[y*m.stride+x] = v
			}
		}
	}
}

func TestDBBoxes(t *testing.T) {
	d, err := newDBPost(Manifest{
		Postprocess: Postprocess{Kind: "db", Threshold: 0.3, BoxThreshold: 0.6, UnclipRatio: 1.5},
		Outputs:     []TensorSpec{{Name: "p", Dtype: DtypeFloat32, Shape: []int64{-1, 1, -1, -1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A padded map (stride > width): padding must not be read as text.
	m := probMap{data: make([]float32, 200*260), w: 240, h: 200, stride: 260}
	for y := range m.h {
		for x := m.w; x < m.stride; x++ {
			m.data[y*m.stride+x] = 1
		}
	}
	s, c := math.Sincos(2 * math.Pi / 180)
	line := rotRect{C: point{100, 40}, U: point{1, 0}, W: 120, H: 12}
	skewed := rotRect{C: point{110, 100}, U: point{c, s}, W: 150, H: 14}
	faint := rotRect{C: point{100, 150}, U: point{1, 0}, W: 100, H: 12} // above threshold, below box_threshold
	speck := rotRect{C: point{20, 180}, U: point{1, 0}, W: 30, H: 1}    // thinner than min_size
	paint(m, line, 0.9)
	paint(m, skewed, 0.8)
	paint(m, faint, 0.4)
	paint(m, speck, 0.9)

	boxes := d.boxes(m)
	if len(boxes) != 2 {
		t.Fatalf("got %d boxes, want the line and the skewed line: %+v", len(boxes), boxes)
	}
	for i, want := range []rotRect{line, skewed} {
		got := boxes[i]
		// The region's outline runs through the centres of its edge
		// pixels, the painted rectangle's own outline; unclip then grows
		// each side by area×1.5/perimeter.
		w0, h0 := max(got.W, got.H), min(got.W, got.H)
		dw := 2 * want.W * want.H * 1.5 / (2 * (want.W + want.H))
		if !near(w0, want.W+dw, 1.5) || !near(h0, want.H+dw, 1.5) || !near(got.C.X, want.C.X, 1) || !near(got.C.Y, want.C.Y, 1) {
			t.Errorf("box %d: centre %v %.1f×%.1f, want about %v %.1f×%.1f", i, got.C, w0, h0, want.C, want.W+dw, want.H+dw)
		}
	}
}

func TestDBPostValidation(t *testing.T) {
	out := []TensorSpec{{Name: "p", Dtype: DtypeFloat32, Shape: []int64{-1, 1, -1, -1}}}
	for _, tc := range []struct {
		name string
		p    Postprocess
		out  []TensorSpec
	}{
		{"threshold", Postprocess{Threshold: 0, BoxThreshold: 0.6, UnclipRatio: 1.5}, out},
		{"box threshold", Postprocess{Threshold: 0.3, BoxThreshold: 1.2, UnclipRatio: 1.5}, out},
		{"unclip", Postprocess{Threshold: 0.3, BoxThreshold: 0.6}, out},
		{"output shape", Postprocess{Threshold: 0.3, BoxThreshold: 0.6, UnclipRatio: 1.5}, []TensorSpec{{Name: "p", Shape: []int64{-1, 2, -1, -1}}}},
	} {
		if _, err := newDBPost(Manifest{Postprocess: tc.p, Outputs: tc.out}); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
