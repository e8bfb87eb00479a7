package model

import (
	"math"
	"testing"
)

// rectPoints samples the outline of a w×h rectangle centred at c and
// turned by deg degrees.
func rectPoints(c point, w, h, deg float64) []point {
	s, co := math.Sincos(deg * math.Pi / 180)
	u, v := point{co, s}, point{-s, co}
	var pts []point
	for i := 0; i <= 20; i++ {
		f := float64(i)/20 - 0.5
		for _, q := range []point{u.scale(f * w).add(v.scale(-h / 2)), u.scale(f * w).add(v.scale(h / 2)), u.scale(-w / 2).add(v.scale(f * h)), u.scale(w / 2).add(v.scale(f * h))} {
			pts = append(pts, c.add(q))
		}
	}
	return pts
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMinAreaRect(t *testing.T) {
	for _, tc := range []struct {
		name      string
		w, h, deg float64
	}{
		{"axis aligned", 100, 20, 0},
		{"skewed 2.5°", 300, 30, 2.5},
		{"skewed -2.5°", 300, 30, -2.5},
		{"turned 30°", 80, 40, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := point{200, 150}
			r := minAreaRect(rectPoints(c, tc.w, tc.h, tc.deg))
			long, short := max(r.W, r.H), min(r.W, r.H)
			if !near(long, tc.w, 0.01) || !near(short, tc.h, 0.01) || !near(r.C.X, c.X, 0.01) || !near(r.C.Y, c.Y, 0.01) {
				t.Fatalf("got centre %v size %.2f×%.2f, want %v %.0f×%.0f", r.C, long, short, c, tc.w, tc.h)
			}
			q := r.corners()
			tl, tr, br, bl := q[0], q[1], q[2], q[3]
			if tl.X > tr.X || bl.X > br.X || tl.Y > bl.Y || tr.Y > br.Y {
				t.Fatalf("corners not ordered tl, tr, br, bl: %v", q)
			}
			if !insideQuad(q, c) || insideQuad(q, point{c.X + tc.w, c.Y}) {
				t.Fatal("insideQuad disagrees with the rectangle")
			}
		})
	}
}

func TestMinAreaRectDegenerate(t *testing.T) {
	if r := minAreaRect([]point{{3, 4}}); r.W != 0 || r.H != 0 || r.C != (point{3, 4}) {
		t.Fatalf("one point: %+v", r)
	}
	if r := minAreaRect([]point{{0, 5}, {10, 5}, {4, 5}}); !near(max(r.W, r.H), 10, 1e-9) || min(r.W, r.H) != 0 {
		t.Fatalf("collinear points: %+v", r)
	}
}

func TestGrow(t *testing.T) {
	r := rotRect{C: point{10, 10}, U: point{1, 0}, W: 40, H: 10}.grow(3)
	if r.W != 46 || r.H != 16 || r.C != (point{10, 10}) {
		t.Fatalf("grow: %+v", r)
	}
}
