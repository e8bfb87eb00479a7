package documents

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"syscall"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/model"
)

// BenchmarkDetectionOverhead times one photo through a detector at imgsz
// 640, batch 1 (the default export): decoding the JPEG, the letterbox
// (resize, pad, normalise), the run, and the postprocess (threshold, NMS,
// boxes mapped back) over [1, 84, 8400]. The photo is a 1280×720 JPEG
// (jpeg), or a phone's portrait photo: the same pixels upright at 720×1280,
// stored turned with EXIF orientation 6 (phone). The run is a stand-in
// with YOLOv8n's compute (docmake.YOLOStandIn). Metrics: ms of each step
// and (letterbox + postprocess) / run (target ≤ 0.10), in wall time and in
// the process's CPU time (the run and the letterbox use every core; the
// postprocess one).
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
	photo := func(w, h int) *image.RGBA {
		p := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range p.Pix {
			p.Pix[i] = uint8(i * 7 % 251)
		}
		return p
	}
	var jb bytes.Buffer // a photo arrives as JPEG
	if err := jpeg.Encode(&jb, photo(1280, 720), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, photo(720, 1280)); err != nil {
		b.Fatal(err)
	}
	phone := docmake.TurnedPhoto(b, pb.Bytes(), "ROTATE_90", 6)
	b.Run("jpeg", func(b *testing.B) { benchDetection(b, m, jb.Bytes()) })
	b.Run("phone", func(b *testing.B) { benchDetection(b, m, phone) })
}

// benchDetection is one kind of photo through the detector m.
func benchDetection(b *testing.B, m *model.Model, data []byte) {
	st := m.Stages()[0]
	var decode, pre, run, post time.Duration
	var cpuPre, cpuRun, cpuPost time.Duration
	var dets int
	b.ResetTimer()
	for range b.N {
		f, err := m.Start(data)
		if err != nil {
			b.Fatal(err)
		}
		c0 := cpuTime(b)
		rows := f.Rows(0)
		c1 := cpuTime(b)
		t0 := time.Now()
		outs, err := st.Run(context.Background(), model.Tensor{Shape: append([]int64{1}, rows[0].Shape...), Data: rows[0].Data})
		if err != nil {
			b.Fatal(err)
		}
		run += time.Since(t0)
		c2 := cpuTime(b)
		out := outs[0]
		out.Shape = out.Shape[1:]
		if err := f.Take(0, [][]model.Tensor{{out}}); err != nil {
			b.Fatal(err)
		}
		cpuPre, cpuRun, cpuPost = cpuPre+c1-c0, cpuRun+c2-c1, cpuPost+cpuTime(b)-c2
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
	b.ReportMetric(float64(cpuPre+cpuPost)/float64(cpuRun), "cpu_overhead/run")
	b.ReportMetric(float64(dets)/float64(b.N), "detections")
}

// cpuTime is the CPU time the process has used so far, on all its threads.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
