package model

import (
	"context"
	"image"
	"testing"

	"github.com/batchinfer/batchinfer/internal/docmake"
)

// The two halves of a detector's overhead on their own, for profiling
// (benchmarks/documents times them beside the run):
//
//	go test -run '^$' -bench 'Letterbox|YOLOPost' -benchtime 200x ./model/

// BenchmarkLetterboxYCbCr letterboxes a 1280×720 4:2:0 photo into 640×640.
func BenchmarkLetterboxYCbCr(b *testing.B) {
	img := photoYCbCr(1280, 720, image.YCbCrSubsampleRatio420)
	lb := newLetterbox(1280, 720, 640, 640)
	b.ResetTimer()
	for range b.N {
		lb.row(img)
	}
}

// BenchmarkYOLOPost is the postprocess of one [84, 8400] output of the
// YOLOv8n stand-in, whose untrained scores put most candidates over the
// threshold: the worst case for the sort and the suppression.
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
