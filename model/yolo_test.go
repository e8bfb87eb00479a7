package model

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
	ort "github.com/yalue/onnxruntime_go"
)

// The letterbox's numbers as Ultralytics' LetterBox computes them by hand:
// r = min(H/h, W/w), new size round(w·r) × round(h·r), left/top
// round(d/2 - 0.1) with Python's half-to-even rounding.
func TestLetterboxGeometry(t *testing.T) {
	tests := []struct {
		w, h, S            int
		newW, newH, l, top int
	}{
		{1280, 720, 640, 640, 360, 0, 140},
		{720, 1280, 640, 360, 640, 140, 0},
		{640, 640, 640, 640, 640, 0, 0},
		{100, 50, 320, 320, 160, 0, 80},
		{333, 500, 640, 426, 640, 107, 0}, // 640·333/500 = 426.24; (640-426)/2 - 0.1 = 106.9
		{500, 299, 640, 640, 383, 0, 128}, // 299·1.28 = 382.72 → 383; (640-383)/2 - 0.1 = 128.4
	}
	for _, tt := range tests {
		lb := newLetterbox(tt.w, tt.h, tt.S, tt.S)
		if lb.newW != tt.newW || lb.newH != tt.newH || lb.left != tt.l || lb.top != tt.top {
			t.Errorf("%d×%d into %d: %d×%d at (%d, %d), want %d×%d at (%d, %d)", tt.w, tt.h, tt.S,
				lb.newW, lb.newH, lb.left, lb.top, tt.newW, tt.newH, tt.l, tt.top)
		}
		// A box over the whole scaled image maps back onto the whole image.
		b := lb.unmap([4]float64{float64(lb.left), float64(lb.top), float64(lb.left + lb.newW), float64(lb.top + lb.newH)})
		if math.Abs(b[0]) > 1 || math.Abs(b[1]) > 1 || math.Abs(b[2]-float64(tt.w)) > 2 || math.Abs(b[3]-float64(tt.h)) > 2 {
			t.Errorf("%d×%d: the scaled image maps back to %v", tt.w, tt.h, b)
		}
	}
	lb := newLetterbox(100, 50, 320, 320)
	if got := lb.unmap([4]float64{-30, 0, 400, 400}); got != [4]float64{0, 0, 100, 50} {
		t.Errorf("a box beyond the image is clipped to %v", got)
	}
}

// Class-aware NMS keeps exactly what ONNX Runtime's own NonMaxSuppression
// operator keeps, over clustered boxes of three classes.
func TestNMSMatchesONNXRuntime(t *testing.T) {
	path := t.TempDir() + "/nms.onnx"
	docmake.NMSGraph(t, path)
	r := rand.New(rand.NewPCG(7, 11))
	const n, classes = 400, 3
	var c []candidate
	for i := range n {
		cx, cy := float64(r.IntN(5))*60+r.Float64()*25, float64(r.IntN(4))*60+r.Float64()*25
		w, h := 20+r.Float64()*40, 20+r.Float64()*40
		c = append(c, candidate{box: xywh(cx, cy, w, h), score: 0.3 + 0.7*r.Float64(), class: i % classes})
	}
	for _, iou := range []float64{0.45, 0.7} {
		got := nms(slices.Clone(c), iou, 1<<20)
		want := ortNMS(t, path, c, classes, iou)
		if len(got) != len(want) {
			t.Fatalf("iou %.2f: kept %d, ONNX Runtime keeps %d", iou, len(got), len(want))
		}
		for _, g := range got {
			if !want[g.box] {
				t.Errorf("iou %.2f: kept %v (class %d), ONNX Runtime drops it", iou, g.box, g.class)
			}
		}
		if len(got) < 20 || len(got) > n-10 {
			t.Errorf("iou %.2f: %d of %d kept; the test boxes should overlap some, not all", iou, len(got), n)
		}
	}
	if capped := nms(slices.Clone(c), 0.7, 5); len(capped) != 5 || capped[0].score < capped[4].score {
		t.Errorf("max_det 5 kept %d, scores not descending", len(capped))
	}
}

// ortNMS runs ONNX Runtime's NonMaxSuppression: each candidate scores only
// in its own class, so per-class selection is class-aware NMS.
func ortNMS(t *testing.T, path string, c []candidate, classes int, iou float64) map[[4]float64]bool {
	t.Helper()
	boxes := make([]float32, 4*len(c))
	scores := make([]float32, classes*len(c))
	for i, k := range c {
		for j := range 4 {
			boxes[4*i+j] = float32(k.box[j])
		}
		scores[k.class*len(c)+i] = float32(k.score)
	}
	s, err := ort.NewDynamicAdvancedSession(path, []string{"boxes", "scores", "max_out", "iou", "score"}, []string{"selected"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	in := []ort.Value{
		must(ort.NewTensor(ort.NewShape(1, int64(len(c)), 4), boxes)),
		must(ort.NewTensor(ort.NewShape(1, int64(classes), int64(len(c))), scores)),
		must(ort.NewTensor(ort.NewShape(1), []int64{int64(len(c))})),
		must(ort.NewTensor(ort.NewShape(1), []float32{float32(iou)})),
		must(ort.NewTensor(ort.NewShape(1), []float32{0.1})),
	}
	out := []ort.Value{nil}
	if err := s.Run(in, out); err != nil {
		t.Fatal(err)
	}
	sel := out[0].(*ort.Tensor[int64]).GetData()
	keep := map[[4]float64]bool{}
	for i := 0; i < len(sel); i += 3 {
		keep[c[sel[i+2]].box] = true
	}
	for _, v := range append(in, out...) {
		v.Destroy()
	}
	return keep
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The radix sort of candidates' keys orders them as a comparison sort
// does: scores highest first, ties (many, as a detector's scores repeat)
// in index order, at sizes on both sides of where it takes over.
func TestSortKeysMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	for _, n := range []int{1, 300, 511, 512, 5000, 8400} {
		c := make([]candidate, n)
		for i := range c {
			c[i] = candidate{score: float64(float32(0.25 + float64(r.IntN(200))/400))}
		}
		keys, ok := float32Keys(c)
		if !ok {
			t.Fatalf("n %d: float32 scores refused", n)
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		sortKeys(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("n %d: radix order differs from slices.Sort's", n)
		}
	}
}

// BenchmarkYOLOPost is the postprocess of one [84, 8400] output of the
// YOLOv8n stand-in, whose untrained scores put most candidates over the
// threshold: the worst case for the sort and the suppression. The other
// half of a detector's overhead, beside BenchmarkLetterboxYCbCr.
//
//	go test -run '^$' -bench YOLOPost -benchtime 300x ./model/
func BenchmarkYOLOPost(b *testing.B) {
	dir := b.TempDir()
	docmake.YOLOStandIn(b, dir)
	m, err := Load(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	st := m.Stages()[0]
	row, lb := st.objects.row(photoYCbCr(1280, 720, image.YCbCrSubsampleRatio420))
	outs, err := st.Run(context.Background(), Tensor{Shape: append([]int64{1}, row.Shape...), Data: row.Data})
	if err != nil {
		b.Fatal(err)
	}
	out := outs[0]
	out.Shape = out.Shape[1:]
	b.ResetTimer()
	for range b.N {
		if _, err := st.objects.result(out, lb); err != nil {
			b.Fatal(err)
		}
	}
}
