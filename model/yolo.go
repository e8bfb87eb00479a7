package model

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/batchinfer/batchinfer/tensor"
)

// yoloFormat is the layout of a YOLO export's output.
type yoloFormat string

const (
	yoloV8  yoloFormat = "yolov8" // [1, 4+C, N]: cx, cy, w, h, then C class scores (v8, v11)
	yoloV5  yoloFormat = "yolov5" // [1, N, 5+C]: cx, cy, w, h, objectness, C class scores
	yoloNMS yoloFormat = "yolo_nms"
	// yoloNMS is an nms=True export: [1, K, 6] of x1, y1, x2, y2, score,
	// class, suppressed already and used as it comes.
)

// detectLimits are the postprocess's thresholds. Ultralytics' defaults
// differ by family: v8/v11 predict with conf 0.25, IoU 0.7 and 300
// detections; YOLOv5's detect.py with 0.25, 0.45 and 1,000.
type detectLimits struct {
	conf, iou float64
	maxDet    int
}

// maxNMS is Ultralytics' cap on boxes entering NMS (the best by score).
const maxNMS = 30000

func defaultLimits(f yoloFormat) detectLimits {
	if f == yoloV5 {
		return detectLimits{conf: 0.25, iou: 0.45, maxDet: 1000}
	}
	return detectLimits{conf: 0.25, iou: 0.7, maxDet: 300}
}

// candidate is one box in the model's input pixels.
type candidate struct {
	box   [4]float64 // x1, y1, x2, y2
	score float64
	class int
}

// yoloCandidates reads one image's output (the batch dim removed) and keeps
// the boxes scoring over conf, each with its best class: Ultralytics'
// non_max_suppression before the suppression itself.
func yoloCandidates(f yoloFormat, out Tensor, classes int, conf float64) ([]candidate, error) {
	s, d := out.Shape, tensor.AsFloat32(out)
	if len(s) != 2 {
		return nil, fmt.Errorf("%s output has shape %v; want two dims after the batch", f, s)
	}
	rows, cols := int(s[0]), int(s[1])
	var c []candidate
	switch f {
	case yoloV8:
		if rows != 4+classes {
			return nil, fmt.Errorf("yolov8 output is [%d, %d]; with %d classes it must be [%d, N]", rows, cols, classes, 4+classes)
		}
		best, cls := bestClasses(d, classes, cols)
		at := func(r, n int) float64 { return float64(d[r*cols+n]) }
		// Counted first: most of a small model's candidates may pass, and
		// growing the slice by appends copies them over and over.
		k := 0
		for _, v := range best {
			if float64(v) > conf {
				k++
			}
		}
		c = make([]candidate, 0, k)
		for n := range cols {
			if float64(best[n]) > conf {
				c = append(c, candidate{box: xywh(at(0, n), at(1, n), at(2, n), at(3, n)), score: float64(best[n]), class: int(cls[n])})
			}
		}
	case yoloV5:
		if cols != 5+classes {
			return nil, fmt.Errorf("yolov5 output is [%d, %d]; with %d classes it must be [N, %d]", rows, cols, classes, 5+classes)
		}
		for n := range rows {
			r := d[n*cols : (n+1)*cols]
			obj := float64(r[4])
			if obj <= conf { // Ultralytics' first filter is on objectness alone
				continue
			}
			best, k := obj*float64(r[5]), 0
			for j := 1; j < classes; j++ {
				if v := obj * float64(r[5+j]); v > best {
					best, k = v, j
				}
			}
			if best > conf {
				c = append(c, candidate{box: xywh(float64(r[0]), float64(r[1]), float64(r[2]), float64(r[3])), score: best, class: k})
			}
		}
	case yoloNMS:
		if cols != 6 {
			return nil, fmt.Errorf("an nms=True export's output is [%d, %d]; want [K, 6]", rows, cols)
		}
		for n := range rows {
			r := d[n*6 : n*6+6]
			if float64(r[4]) > conf {
				c = append(c, candidate{box: [4]float64{float64(r[0]), float64(r[1]), float64(r[2]), float64(r[3])}, score: float64(r[4]), class: int(r[5])})
			}
		}
	default:
		return nil, fmt.Errorf("unknown detection output format %q", f)
	}
	return c, nil
}

// bestClasses is each of a v8 output's cols candidates' highest class
// score and its class. The class rows are read in order, not strided
// across, and in blocks of candidates whose best so far stays in L1 cache
// while every class row passes over it; the blocks are shared out among
// the cores, as the 2.7 MB output of a 640 model comes from the run
// uncached.
func bestClasses(d []float32, classes, cols int) ([]float32, []int32) {
	best, cls := slices.Clone(d[4*cols:5*cols]), make([]int32, cols)
	const block = 1024
	blocks := (cols + block - 1) / block
	workers := max(1, min(runtime.GOMAXPROCS(0), blocks, classes*cols/(1<<17)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for lo := w * block; lo < cols; lo += workers * block {
				hi := min(lo+block, cols)
				for j := 1; j < classes; j++ {
					row := d[(4+j)*cols+lo : (4+j)*cols+hi]
					b, k := best[lo:lo+len(row)], cls[lo:lo+len(row)]
					for n, v := range row {
						if v > b[n] {
							b[n], k[n] = v, int32(j)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return best, cls
}

func xywh(cx, cy, w, h float64) [4]float64 {
	return [4]float64{cx - w/2, cy - h/2, cx + w/2, cy + h/2}
}

// nms is class-aware non-maximum suppression, as torchvision's nms over
// boxes offset by class: highest score first, a box is dropped when its
// IoU with a kept box of its class is over iou; at most maxDet are kept.
// Ties in score keep the earlier candidate first. Boxes of two classes
// never suppress each other, so each class is suppressed on its own, its
// candidates in score order, and what the classes keep is merged back
// into score order: the same boxes as one pass over all of them, without
// every kept box looking at every other class's candidates.
func nms(c []candidate, iou float64, maxDet int) []candidate {
	c = byScore(c)
	if len(c) > maxNMS {
		c = c[:maxNMS]
	}
	suppressed := make([]bool, len(c))
	var kept []int32 // positions in c
	for _, g := range classGroups(c) {
		n := 0
		for a, i := range g {
			if suppressed[i] {
				continue
			}
			kept = append(kept, i)
			if n++; n == maxDet {
				break
			}
			for _, j := range g[a+1:] {
				if !suppressed[j] && boxIoU(c[i].box, c[j].box) > iou {
					suppressed[j] = true
				}
			}
		}
	}
	slices.Sort(kept)
	out := make([]candidate, min(len(kept), maxDet))
	for k := range out {
		out[k] = c[kept[k]]
	}
	return out
}

// classGroups is the positions in c of each class's candidates, in c's
// order (a counting sort by class; classes are 0 to C−1 as the outputs
// number them).
func classGroups(c []candidate) [][]int32 {
	classes := 0
	for _, d := range c {
		classes = max(classes, d.class+1)
	}
	at := make([]int, classes+1)
	for _, d := range c {
		at[d.class+1]++
	}
	for k := 1; k <= classes; k++ {
		at[k] += at[k-1]
	}
	flat := make([]int32, len(c))
	groups := make([][]int32, classes)
	for k := range groups {
		groups[k] = flat[at[k]:at[k]:at[k+1]]
	}
	for i, d := range c {
		groups[d.class] = append(groups[d.class], int32(i))
	}
	return groups
}

// byScore is the candidates highest score first, ties in their order: a
// stable sort, done as an unstable one of indices broken by index (the
// candidates themselves are too big to move around in a merge sort).
func byScore(c []candidate) []candidate {
	out := make([]candidate, len(c))
	if keys, ok := float32Keys(c); ok {
		sortKeys(keys)
		for i, k := range keys {
			out[i] = c[uint32(k)]
		}
		return out
	}
	idx := make([]int32, len(c))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(c[b].score, c[a].score), cmp.Compare(a, b))
	})
	for i, k := range idx {
		out[i] = c[k]
	}
	return out
}

// float32Keys packs each candidate's score and index into one integer that
// orders as byScore does, when every score is a positive float32 (a
// v8/v11 export's class scores are; a v5 score is a product): the bits of
// a positive float order as its values, so their complement above the
// index sorts highest first, ties by index, without a comparator.
func float32Keys(c []candidate) ([]uint64, bool) {
	keys := make([]uint64, len(c))
	for i, d := range c {
		f := float32(d.score)
		if float64(f) != d.score || !(f > 0) || i > math.MaxUint32 {
			return nil, false
		}
		keys[i] = uint64(^math.Float32bits(f))<<32 | uint64(i)
	}
	return keys, true
}

// sortKeys sorts float32Keys' keys. Beyond a few hundred it is a radix
// sort (stable, least significant byte first) of the score bits alone: the
// keys come in index order, so ties stay in it, and a detector's thousands
// of candidates sort in four passes rather than n·log n comparisons.
func sortKeys(keys []uint64) {
	if len(keys) < 512 {
		slices.Sort(keys)
		return
	}
	src, dst := keys, make([]uint64, len(keys))
	for shift := 32; shift < 64; shift += 8 {
		var at [256]int
		for _, k := range src {
			at[byte(k>>shift)]++
		}
		if at[byte(src[0]>>shift)] == len(src) {
			continue // one value in this byte: the pass would move nothing
		}
		n := 0
		for i, c := range at {
			at[i], n = n, n+c
		}
		for _, k := range src {
			b := byte(k >> shift)
			dst[at[b]] = k
			at[b]++
		}
		src, dst = dst, src
	}
	copy(keys, src)
}

func boxIoU(a, b [4]float64) float64 {
	area := func(r [4]float64) float64 { return max(0, r[2]-r[0]) * max(0, r[3]-r[1]) }
	inter := area([4]float64{max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])})
	union := area(a) + area(b) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// detections is the postprocess of one image: candidates over the
// threshold, suppressed (unless the export did it), capped, mapped back
// through the letterbox into the displayed image, highest score first:
//
//	{"detections": [{"label", "class_id", "score", "box": [x1, y1, x2, y2]}], "width", "height"}
func detections(f yoloFormat, out Tensor, labels []string, lim detectLimits, lb letterbox) (map[string]any, error) {
	c, err := yoloCandidates(f, out, len(labels), lim.conf)
	if err != nil {
		return nil, err
	}
	if f == yoloNMS {
		c = byScore(c)
		c = c[:min(len(c), lim.maxDet)]
	} else {
		c = nms(c, lim.iou, lim.maxDet)
	}
	dets := make([]any, 0, len(c))
	for _, d := range c {
		b := lb.unmap(d.box)
		label := fmt.Sprint(d.class)
		if d.class >= 0 && d.class < len(labels) {
			label = labels[d.class]
		}
		dets = append(dets, map[string]any{
			"label": label, "class_id": d.class, "score": round4(d.score),
			"box": []any{round2(b[0]), round2(b[1]), round2(b[2]), round2(b[3])},
		})
	}
	return map[string]any{"detections": dets, "width": lb.w, "height": lb.h}, nil
}

func round2(v float64) float64 { return float64(pyRound(v*100)) / 100 }
func round4(v float64) float64 { return float64(pyRound(v*10000)) / 10000 }
