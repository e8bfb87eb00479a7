package model

import (
	"math"
	"sort"
)

// point is a position in pixels; a pixel's centre is at its integer
// coordinates, as in OpenCV's contours.
type point struct{ X, Y float64 }

func (p point) sub(q point) point     { return point{p.X - q.X, p.Y - q.Y} }
func (p point) add(q point) point     { return point{p.X + q.X, p.Y + q.Y} }
func (p point) scale(k float64) point { return point{p.X * k, p.Y * k} }
func (p point) dist(q point) float64  { return math.Hypot(p.X-q.X, p.Y-q.Y) }
func cross(o, a, b point) float64     { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
func dot(a, b point) float64          { return a.X*b.X + a.Y*b.Y }
func (p point) rounded() [2]int       { return [2]int{int(math.Round(p.X)), int(math.Round(p.Y))} }
func clampPoint(p point, w, h float64) point {
	return point{min(max(p.X, 0), w), min(max(p.Y, 0), h)}
}

// convexHull is Andrew's monotone chain; the hull comes out counter-
// clockwise (in image coordinates, y down) without repeated points.
func convexHull(pts []point) []point {
	if len(pts) < 3 {
		return pts
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].X != pts[j].X {
			return pts[i].X < pts[j].X
		}
		return pts[i].Y < pts[j].Y
	})
	hull := make([]point, 0, 2*len(pts))
	for pass := 0; pass < 2; pass++ {
		start := len(hull)
		for i := range pts {
			p := pts[i]
			if pass == 1 {
				p = pts[len(pts)-1-i]
			}
			for len(hull) >= start+2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
				hull = hull[:len(hull)-1]
			}
			hull = append(hull, p)
		}
		hull = hull[:len(hull)-1] // the last point starts the other chain
	}
	return hull
}

// rotRect is a rotated rectangle: its centre, the unit vector along its
// first side, and the side lengths along that vector (W) and across it (H).
type rotRect struct {
	C    point
	U    point // unit vector along W
	W, H float64
}

// minAreaRect is the smallest rectangle around pts (OpenCV's minAreaRect),
// by rotating calipers: one side of it lies on a hull edge.
func minAreaRect(pts []point) rotRect {
	hull := convexHull(pts)
	switch len(hull) {
	case 0:
		return rotRect{U: point{1, 0}}
	case 1:
		return rotRect{C: hull[0], U: point{1, 0}}
	case 2:
		d := hull[1].sub(hull[0])
		n := math.Hypot(d.X, d.Y)
		return rotRect{C: hull[0].add(hull[1]).scale(0.5), U: d.scale(1 / n), W: n}
	}
	best := rotRect{W: math.Inf(1), H: math.Inf(1)}
	for i := range hull {
		d := hull[(i+1)%len(hull)].sub(hull[i])
		n := math.Hypot(d.X, d.Y)
		if n == 0 {
			continue
		}
		u := d.scale(1 / n)
		v := point{-u.Y, u.X}
		minU, maxU, minV, maxV := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, p := range hull {
			a, b := dot(p, u), dot(p, v)
			minU, maxU, minV, maxV = min(minU, a), max(maxU, a), min(minV, b), max(maxV, b)
		}
		if w, h := maxU-minU, maxV-minV; w*h < best.W*best.H {
			c := u.scale((minU + maxU) / 2).add(v.scale((minV + maxV) / 2))
			best = rotRect{C: c, U: u, W: w, H: h}
		}
	}
	return best
}

// corners returns the rectangle's corners ordered as PaddleOCR's
// get_mini_boxes does: of the two leftmost, the upper is first (top-left)
// and the lower last (bottom-left); of the two rightmost, the upper is
// second (top-right), the lower third (bottom-right).
func (r rotRect) corners() [4]point {
	v := point{-r.U.Y, r.U.X}
	hu, hv := r.U.scale(r.W/2), v.scale(r.H/2)
	p := []point{r.C.sub(hu).sub(hv), r.C.add(hu).sub(hv), r.C.add(hu).add(hv), r.C.sub(hu).add(hv)}
	sort.SliceStable(p, func(i, j int) bool { return p[i].X < p[j].X })
	tl, bl := p[0], p[1]
	if bl.Y < tl.Y {
		tl, bl = bl, tl
	}
	tr, br := p[2], p[3]
	if br.Y < tr.Y {
		tr, br = br, tr
	}
	return [4]point{tl, tr, br, bl}
}

// grow returns the rectangle with every side pushed out by d. It is what
// PaddleOCR's unclip (a pyclipper round-joined offset of the box by
// area × ratio / perimeter) followed by get_mini_boxes gives for a
// rectangle: the rounded corners stay inside the grown rectangle.
func (r rotRect) grow(d float64) rotRect {
	r.W += 2 * d
	r.H += 2 * d
	return r
}

// insideQuad reports whether p is inside the convex quadrilateral q (its
// corners in order, either orientation), borders included.
func insideQuad(q [4]point, p point) bool {
	var pos, neg bool
	for i := range 4 {
		c := cross(q[i], q[(i+1)%4], p)
		pos = pos || c > 1e-9
		neg = neg || c < -1e-9
	}
	return !(pos && neg)
}
