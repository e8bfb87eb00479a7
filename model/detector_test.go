package model

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/batchinfer/batchinfer/document"
	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/textimg"
	ort "github.com/yalue/onnxruntime_go"
)

// The test detectors' grid (docmake.YOLO): input 320, boxes of 32 every 16.
const (
	yoloSize = 320
	yoloBox  = 32
	yoloStep = 16
)

var (
	yoloOnce sync.Once
	yoloDir  string
)

// yoloModels makes the test detector exports once per test binary.
func yoloModels(t *testing.T) string {
	yoloOnce.Do(func() {
		dir, err := os.MkdirTemp("", "yolo-models-")
		if err != nil {
			t.Fatal(err)
		}
		docmake.YOLO(t, dir, yoloSize, yoloBox, yoloStep)
		yoloDir = dir
	})
	if yoloDir == "" {
		t.Fatal("the YOLO test models were not made")
	}
	return yoloDir
}

// rawDetector is a test detector export with its codecs and a session.
type rawDetector struct {
	*detector
	s *ort.DynamicAdvancedSession
}

func openDetector(t *testing.T, file string, o DetectOverrides) rawDetector {
	t.Helper()
	path := filepath.Join(yoloModels(t), file)
	ins, outs, err := ioInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	props, err := modelMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDetector(props, ins[0], outs[0], o)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSession(path, []string{ins[0].Name}, []string{outs[0].Name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Destroy() })
	return rawDetector{d, s}
}

// detect runs images in one batch and returns each one's result.
func (r rawDetector) detect(t *testing.T, imgs ...image.Image) []map[string]any {
	t.Helper()
	var data []float32
	var lbs []letterbox
	for _, img := range imgs {
		row, lb := r.row(img)
		data, lbs = append(data, row.Float32()...), append(lbs, lb)
	}
	in := must(ort.NewTensor(ort.NewShape(int64(len(imgs)), 3, int64(r.H), int64(r.W)), data))
	defer in.Destroy()
	out := []ort.Value{nil}
	if err := r.s.Run([]ort.Value{in}, out); err != nil {
		t.Fatal(err)
	}
	defer out[0].Destroy()
	o := out[0].(*ort.Tensor[float32])
	shape := o.GetShape()
	per := int(shape[1] * shape[2])
	res := make([]map[string]any, len(imgs))
	for i := range imgs {
		rowOut := Tensor{Shape: []int64{shape[1], shape[2]}, Data: o.GetData()[i*per : (i+1)*per]}
		var err error
		if res[i], err = r.result(rowOut, lbs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// picture is a black w×h picture with a red and a green patch.
type picture struct {
	w, h       int
	red, green image.Rectangle
}

func (p picture) image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(img, p.red, image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	draw.Draw(img, p.green, image.NewUniform(color.RGBA{0, 255, 0, 255}), image.Point{}, draw.Src)
	return img
}

var pictures = []picture{
	{640, 360, image.Rect(40, 60, 200, 180), image.Rect(400, 200, 600, 340)},  // wide: padded top and bottom
	{300, 500, image.Rect(20, 300, 140, 460), image.Rect(160, 30, 280, 150)},  // tall: padded left and right
	{200, 200, image.Rect(10, 10, 90, 90), image.Rect(120, 120, 190, 190)},    // square, scaled up
	{333, 199, image.Rect(100, 20, 230, 120), image.Rect(250, 130, 330, 195)}, // odd sizes
}

// expected counts the grid boxes whose centres land in rect once the
// picture is letterboxed, as Ultralytics' LetterBox places it; lo counts
// those well inside (2 px), hi those near it (resampling blurs the edge).
func expected(p picture, rect image.Rectangle) (lo, hi int) {
	gain := math.Min(float64(yoloSize)/float64(p.h), float64(yoloSize)/float64(p.w))
	left := math.RoundToEven((float64(yoloSize)-math.RoundToEven(float64(p.w)*gain))/2 - 0.1)
	top := math.RoundToEven((float64(yoloSize)-math.RoundToEven(float64(p.h)*gain))/2 - 0.1)
	for y := yoloStep / 2; y < yoloSize; y += yoloStep {
		for x := yoloStep / 2; x < yoloSize; x += yoloStep {
			// the input pixel's centre, in the picture's pixels
			px, py := (float64(x)+0.5-left)/gain, (float64(y)+0.5-top)/gain
			in := func(m float64) bool {
				return px > float64(rect.Min.X)+m && px < float64(rect.Max.X)-m && py > float64(rect.Min.Y)+m && py < float64(rect.Max.Y)-m
			}
			if in(2 / gain) {
				lo++
			}
			if in(-2 / gain) {
				hi++
			}
		}
	}
	return lo, hi
}

// checkDetections checks one picture's result: every detection on its
// patch, as many as the letterboxed patch holds grid centres, the boxes
// the grid's size in the picture's pixels, best first.
func checkDetections(t *testing.T, name string, p picture, res map[string]any) {
	t.Helper()
	if res["width"] != p.w || res["height"] != p.h {
		t.Errorf("%s: size %v×%v, want %d×%d", name, res["width"], res["height"], p.w, p.h)
	}
	gain := math.Min(float64(yoloSize)/float64(p.h), float64(yoloSize)/float64(p.w))
	counts := map[string]int{}
	last := 2.0
	for _, d := range res["detections"].([]any) {
		m := d.(map[string]any)
		b := m["box"].([]any)
		x1, y1, x2, y2 := b[0].(float64), b[1].(float64), b[2].(float64), b[3].(float64)
		cx, cy := (x1+x2)/2, (y1+y2)/2
		rect := map[string]image.Rectangle{"red thing": p.red, "green thing": p.green}[m["label"].(string)]
		tol := float64(yoloBox) / gain / 2 // a box clipped at the picture's edge moves its centre
		if cx < float64(rect.Min.X)-tol || cx > float64(rect.Max.X)+tol || cy < float64(rect.Min.Y)-tol || cy > float64(rect.Max.Y)+tol {
			t.Errorf("%s: %s at (%.0f, %.0f) is off its patch %v", name, m["label"], cx, cy, rect)
		}
		if x1 < 0 || y1 < 0 || x2 > float64(p.w) || y2 > float64(p.h) {
			t.Errorf("%s: box %v not clipped to %d×%d", name, b, p.w, p.h)
		}
		if w := x2 - x1; x1 > 0 && x2 < float64(p.w) && math.Abs(w-yoloBox/gain) > 0.5 {
			t.Errorf("%s: an unclipped box is %.1f wide, want %.1f", name, w, yoloBox/gain)
		}
		s := m["score"].(float64)
		if s > last {
			t.Errorf("%s: scores not highest first", name)
		}
		last = s
		counts[m["label"].(string)]++
	}
	for label, rect := range map[string]image.Rectangle{"red thing": p.red, "green thing": p.green} {
		lo, hi := expected(p, rect)
		if n := counts[label]; n < lo || n > hi || n == 0 {
			t.Errorf("%s: %d %s detections; the letterboxed patch holds %d–%d grid centres", name, n, label, lo, hi)
		}
	}
}

// The test exports (v8/v11 layout, YOLOv5 with objectness and no imgsz,
// nms=True) find each patch where it is in pictures of several aspect
// ratios: the letterbox and its inverse are Ultralytics'.
func TestDetectorExports(t *testing.T) {
	for _, file := range []string{"v8.onnx", "v5.onnx", "nms.onnx"} {
		r := openDetector(t, file, DetectOverrides{})
		want := map[string]yoloFormat{"v8.onnx": yoloV8, "v5.onnx": yoloV5, "nms.onnx": yoloNMS}[file]
		if r.format != want || r.W != yoloSize || r.H != yoloSize {
			t.Fatalf("%s: read as %s at %d×%d, want %s at %d", file, r.format, r.W, r.H, want, yoloSize)
		}
		if wantIoU := map[yoloFormat]float64{yoloV8: 0.7, yoloV5: 0.45, yoloNMS: 0.7}[want]; r.lim.iou != wantIoU {
			t.Errorf("%s: IoU %.2f, Ultralytics' default for %s is %.2f", file, r.lim.iou, want, wantIoU)
		}
		for i, p := range pictures {
			checkDetections(t, fmt.Sprintf("%s picture %d", file, i), p, r.detect(t, p.image())[0])
		}
	}
}

// A dynamic batch runs several pictures at once, each as it runs alone;
// the manifest's overrides change the labels and thresholds.
func TestDetectorBatchAndOverrides(t *testing.T) {
	r := openDetector(t, "v8dyn.onnx", DetectOverrides{})
	imgs := []image.Image{pictures[0].image(), pictures[1].image(), pictures[2].image()}
	batch := r.detect(t, imgs...)
	for i, img := range imgs {
		if alone := r.detect(t, img)[0]; fmt.Sprint(alone) != fmt.Sprint(batch[i]) {
			t.Errorf("picture %d differs in a batch", i)
		}
		checkDetections(t, fmt.Sprintf("batched picture %d", i), pictures[i], batch[i])
	}
	o := openDetector(t, "v8.onnx", DetectOverrides{Labels: []string{"stop", "go"}, MaxDet: 3, IoU: 0.2})
	dets := o.detect(t, pictures[0].image())[0]["detections"].([]any)
	if len(dets) != 3 {
		t.Fatalf("max_det 3 gave %d detections", len(dets))
	}
	for _, d := range dets {
		if l := d.(map[string]any)["label"]; l != "stop" && l != "go" {
			t.Errorf("label %v, want the manifest's", l)
		}
	}
}

// A phone photo stored sideways with EXIF orientation 6 is detected in the
// picture as displayed, boxes in its displayed pixels.
func TestDetectorEXIFRotated(t *testing.T) {
	p := pictures[1] // 300×500 displayed
	var b bytes.Buffer
	if err := png.Encode(&b, p.image()); err != nil {
		t.Fatal(err)
	}
	data := docmake.TurnedPhoto(t, b.Bytes(), "ROTATE_90", 6)
	img, err := document.DecodeImage(data, document.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDetections(t, "EXIF-rotated JPEG", p, openDetector(t, "v8.onnx", DetectOverrides{}).detect(t, img)[0])
}

// detectorFolder is a model folder holding the test export file (linked)
// and, when manifest is not empty, a manifest.json.
func detectorFolder(t *testing.T, file, manifest string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "boxes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(yoloModels(t), file), filepath.Join(dir, file)); err != nil {
		t.Fatal(err)
	}
	if manifest != "" {
		writeFile(t, dir, "manifest.json", manifest)
	}
	return dir
}

// A folder holding just an Ultralytics export loads with no manifest and
// answers detections for a picture, and per page for a PDF.
func TestDetectorFolderWithoutManifest(t *testing.T) {
	m := loadDir(t, detectorFolder(t, "v8.onnx", ""))
	if m.Name() != "boxes" || m.Version() == "" || !m.IsPipeline() || m.MaxBatch() != 1 || !m.FixedBatch() {
		t.Errorf("name %q version %q pipeline %v max batch %d fixed %v; want boxes, a hash, one static row", m.Name(), m.Version(), m.IsPipeline(), m.MaxBatch(), m.FixedBatch())
	}
	p := pictures[0]
	f, err := m.Start(textimg.EncodePNG(p.image()))
	if err != nil {
		t.Fatal(err)
	}
	checkDetections(t, "PNG through the model", p, runFlow(t, m, f))

	var pp []docmake.PDFPage
	for _, q := range pictures[:2] {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, q.image(), &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		pp = append(pp, docmake.PDFPage{JPEG: b.Bytes(), Width: q.w, Height: q.h, DPI: 200})
	}
	if f, err = m.Start(docmake.PDF(pp)); err != nil {
		t.Fatal(err)
	}
	res := runFlow(t, m, f)
	pages := res["pages"].([]any)
	if len(pages) != 2 || res["text"] != nil {
		t.Fatalf("%d pages (text %v), want 2 pages of detections", len(pages), res["text"])
	}
	for i, pg := range pages {
		page := pg.(map[string]any)
		if page["page"] != i+1 {
			t.Errorf("page %d numbered %v", i+1, page["page"])
		}
		// PDF sizes are points: a page comes back within a pixel of its scan.
		q := pictures[i]
		if w, h := page["width"].(int), page["height"].(int); abs(w-q.w) <= 1 && abs(h-q.h) <= 1 {
			q.w, q.h = w, h
		}
		checkDetections(t, fmt.Sprintf("PDF page %d", i+1), q, page)
	}
}

// A manifest beside a dynamic-batch export overrides labels and limits,
// and the model batches.
func TestDetectorManifestOverrides(t *testing.T) {
	m := loadDir(t, detectorFolder(t, "v8dyn.onnx", `{"name": "lights", "version": "3", "file": "v8dyn.onnx",
		"labels": ["stop", "go"], "task": "object-detection", "postprocess": {"conf": 0.5, "max_det": 2}, "batch": {"max_batch": 4}}`))
	if m.Name() != "lights" || m.Version() != "3" || m.MaxBatch() != 4 || m.FixedBatch() {
		t.Errorf("name %q version %q max batch %d fixed %v", m.Name(), m.Version(), m.MaxBatch(), m.FixedBatch())
	}
	f, err := m.Start(textimg.EncodePNG(pictures[0].image()))
	if err != nil {
		t.Fatal(err)
	}
	dets := runFlow(t, m, f)["detections"].([]any)
	if len(dets) != 2 || dets[0].(map[string]any)["label"] != "stop" {
		t.Errorf("detections %v, want max_det 2 labelled by the manifest", dets)
	}
	for _, bad := range []string{
		`{"name": "x", "version": "1", "file": "v8dyn.onnx", "task": "object-detection", "postprocess": {"format": "yolov9"}}`,
		`{"name": "x", "version": "1", "file": "v8dyn.onnx", "task": "object-detection", "postprocess": {"conf": 1.5}}`,
	} {
		if _, err := Load(detectorFolder(t, "v8dyn.onnx", bad), Options{}); err == nil {
			t.Errorf("manifest %s loaded", bad)
		}
	}
}
