package model

import (
	"fmt"
	"math"
)

// dbPost is PaddleOCR's DBPostProcess (box_type "quad", score_mode
// "fast") in Go: binarise the probability map, take each connected text
// region's min-area rectangle, score it by the mean probability inside,
// and grow it back by the unclip ratio (DB's maps shrink text regions
// during training, so the raw region is tighter than the text).
type dbPost struct {
	threshold, boxThreshold, unclip, minSize float64
	maxCandidates                            int
}

func newDBPost(m Manifest) (*dbPost, error) {
	p := m.Postprocess
	d := &dbPost{threshold: p.Threshold, boxThreshold: p.BoxThreshold, unclip: p.UnclipRatio, minSize: p.MinSize, maxCandidates: p.MaxCandidates}
	if d.threshold <= 0 || d.threshold >= 1 || d.boxThreshold <= 0 || d.boxThreshold >= 1 {
		return nil, fmt.Errorf("postprocess.threshold (%g) and box_threshold (%g) must be between 0 and 1", d.threshold, d.boxThreshold)
	}
	if d.unclip <= 0 {
		return nil, fmt.Errorf("postprocess.unclip_ratio is %g; it must be positive", d.unclip)
	}
	if d.minSize <= 0 {
		d.minSize = 3 // PaddleOCR's fixed min_size
	}
	if d.maxCandidates <= 0 {
		d.maxCandidates = 1000
	}
	if o := m.Outputs; len(o) != 1 || len(o[0].Shape) != 4 || o[0].Shape[1] != 1 {
		return nil, fmt.Errorf("postprocess.kind db needs one output of shape [-1, 1, H, W], manifest says %v", o)
	}
	return d, nil
}

// probMap is the w×h top-left of a (possibly padded) row-major map.
type probMap struct {
	data         []float32
	w, h, stride int
}

func (p probMap) at(x, y int) float32 { return p.data[y*p.stride+x] }

// boxes returns the text regions of one map, in map pixels.
func (d *dbPost) boxes(p probMap) []rotRect {
	var out []rotRect
	for _, pts := range d.regions(p) {
		r := minAreaRect(pts)
		if min(r.W, r.H) < d.minSize {
			continue
		}
		if d.score(p, r.corners()) < d.boxThreshold {
			continue
		}
		r = r.grow(r.W * r.H * d.unclip / (2 * (r.W + r.H)))
		if min(r.W, r.H) < d.minSize+2 {
			continue
		}
		out = append(out, r)
	}
	return out
}

// regions labels the 8-connected regions of map > threshold and returns,
// for each (up to maxCandidates, in scan order), the leftmost and rightmost
// pixel centre of each of its rows: their convex hull is the region's.
func (d *dbPost) regions(p probMap) [][]point {
	label := make([]int32, p.w*p.h) // 0: unvisited
	var out [][]point
	var stack []int
	thr := float32(d.threshold)
	for start := range label {
		if label[start] != 0 || p.at(start%p.w, start/p.w) <= thr {
			continue
		}
		if len(out) == d.maxCandidates {
			break
		}
		id := int32(len(out) + 1)
		rows := map[int][2]int{} // y → min x, max x
		label[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%p.w, i/p.w
			if e, ok := rows[y]; ok {
				rows[y] = [2]int{min(e[0], x), max(e[1], x)}
			} else {
				rows[y] = [2]int{x, x}
			}
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= p.w || ny >= p.h {
						continue
					}
					j := ny*p.w + nx
					if label[j] == 0 && p.at(nx, ny) > thr {
						label[j] = id
						stack = append(stack, j)
					}
				}
			}
		}
		pts := make([]point, 0, 2*len(rows))
		for y, e := range rows {
			pts = append(pts, point{float64(e[0]), float64(y)}, point{float64(e[1]), float64(y)})
		}
		out = append(out, pts)
	}
	return out
}

// score is box_score_fast: the mean probability of the pixels inside the
// box, over the box's bounding rectangle clipped to the map.
func (d *dbPost) score(p probMap, q [4]point) float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range q {
		x0, y0, x1, y1 = min(x0, c.X), min(y0, c.Y), max(x1, c.X), max(y1, c.Y)
	}
	xmin, xmax := clampInt(int(math.Floor(x0)), 0, p.w-1), clampInt(int(math.Ceil(x1)), 0, p.w-1)
	ymin, ymax := clampInt(int(math.Floor(y0)), 0, p.h-1), clampInt(int(math.Ceil(y1)), 0, p.h-1)
	var sum float64
	n := 0
	for y := ymin; y <= ymax; y++ {
		for x := xmin; x <= xmax; x++ {
			if insideQuad(q, point{float64(x), float64(y)}) {
				sum += float64(p.at(x, y))
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
