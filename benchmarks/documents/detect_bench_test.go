package documents

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/model"
)

// BenchmarkDetectionOverhead times one 1280×720 photo through a detector
// at imgsz 640, batch 1 (the default export): decoding the JPEG, the
// letterbox (resize, pad, normalise), the run, and the postprocess
// (threshold, NMS, boxes mapped back) over [1, 84, 8400]. The run is a
// stand-in with YOLOv8n's compute (docmake.YOLOStandIn). Metrics: ms of
// each step and (letterbox + postprocess) / run (target ≤ 0.10).
//
//	go test -run '^$' -bench DetectionOverhead -benchtime 20x ./benchmarks/documents/
func BenchmarkDetectionOverhead(b *testing.B) {
	dir := b.TempDir()
	docmake.YOLOStandIn(b, dir)
	m, err := model.Load(dir, model.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	photo := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7 % 251)
	}
	var jb bytes.Buffer // a photo arrives as JPEG
	if err := jpeg.Encode(&jb, photo, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := jb.Bytes()
	st := m.Stages()[0]
	var decode, pre, run, post time.Duration
	var dets int
	b.ResetTimer()
	for range b.N {
		f, err := m.Start(data)
		if err != nil {
			b.Fatal(err)
		}
		rows := f.Rows(0)
		t0 := time.Now()
		outs, err := st.Run(context.Background(), model.Tensor{Shape: append([]int64{1}, rows[0].Shape...), Data: rows[0].Data})
		if err != nil {
			b.Fatal(err)
		}
		run += time.Since(t0)
		out := outs[0]
		out.Shape = out.Shape[1:]
		if err := f.Take(0, [][]model.Tensor{{out}}); err != nil {
			b.Fatal(err)
		}
		dets += len(f.Result()["detections"].([]any))
		ph := f.Phases()
		decode, pre, post = decode+ph["decode"], pre+ph[st.Name()+".pre"], post+ph[st.Name()+".post"]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(decode), "decode_ms")
	b.ReportMetric(ms(pre), "letterbox_ms")
	b.ReportMetric(ms(run), "run_ms")
	b.ReportMetric(ms(post), "post_ms")
	b.ReportMetric(float64(pre+post)/float64(run), "overhead/run")
	b.ReportMetric(float64(dets)/float64(b.N), "detections")
}
