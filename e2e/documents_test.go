package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/readback"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/store"
)

// fullOutput is a job's whole output: the item's, or the object its
// output_uri names when the item holds a summary.
func (s *system) fullOutput(r *store.Record) map[string]any {
	s.t.Helper()
	if r.OutputURI == "" {
		return r.Output
	}
	var full struct {
		Output map[string]any `json:"output"`
	}
	if err := json.Unmarshal(s.getObject(r.OutputURI), &full); err != nil {
		s.t.Fatalf("output object %s: %v", r.OutputURI, err)
	}
	return full.Output
}

func (s *system) getObject(uri string) []byte {
	s.t.Helper()
	return readback.Object(s.t, s.ctx, s.s3, uri)
}

// TestPDFDroppedIntoTheInbox drops a scanned 3-page PDF into the inbox
// under a prefix routed to page OCR: one job, SUCCEEDED, each page's text
// where it is and the whole text beside the pages, through the real binary
// under the runtime emulator.
func TestPDFDroppedIntoTheInbox(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"ppocr-rec", "iris-rf", "ppocr-page"}, Env: []string{"BATCHINFER_ROUTES=docs/=ppocr-page"}})
	pages := textimg.Pages(3, 31)
	pdf, err := docmake.ScannedPDF(pages[0].Data, pages[1].Data, pages[2].Data)
	if err != nil {
		t.Fatal(err)
	}
	obj := s.putObject(s.spec.InputBucket, "docs/letter 3 pages.pdf", pdf)
	s.send(notification(s.spec.InputBucket, obj))
	r := s.waitFinal([]string{obj.JobID}, 120*time.Second)[obj.JobID]
	if r.Status != store.StatusSucceeded || r.Model != "ppocr-page" {
		t.Fatalf("status %s model %q error %+v", r.Status, r.Model, r.Error)
	}
	out := s.fullOutput(r)
	got, _ := out["pages"].([]any)
	if len(got) != len(pages) {
		t.Fatalf("%d pages in %v, want %d", len(got), out, len(pages))
	}
	var texts []string
	for i, p := range pages {
		pg := got[i].(map[string]any)
		g := textimg.ReadLines(pg)
		if sc := textimg.Score(p, g); sc.Matched < sc.Truth-1 || sc.Got > sc.Truth || pg["page"] != float64(i+1) {
			t.Errorf("page %v: %+v, read %v", pg["page"], sc, g)
		}
		texts = append(texts, pg["text"].(string))
	}
	if out["text"] != strings.Join(texts, "\n\n") {
		t.Errorf("whole text %q is not the pages' in order", out["text"])
	}
	s.checkOncePerJob([]string{obj.JobID}, map[string]*store.Record{obj.JobID: r}, 1)
}

// yoloFolder is a model folder holding only a detector export with
// Ultralytics' metadata (docmake's test export), as `yolo export` leaves
// it: no manifest.
func yoloFolder(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "boxes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	docmake.YOLO(t, dir, 320, 32, 16)
	for _, f := range []string{"v8dyn.onnx", "v5.onnx", "nms.onnx"} {
		os.Remove(filepath.Join(dir, f))
	}
	return dir
}

// redSquare is a black w×h picture with a red square at (x, y).
func redSquare(w, h, x, y, side int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x, y, x+side, y+side), image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	return textimg.EncodePNG(img)
}

// checkBoxes checks a detector's output for a picture whose only object
// is the red square at (x, y): detections of it, inside it, best first.
func checkBoxes(t *testing.T, name string, out map[string]any, w, h, x, y, side int) {
	t.Helper()
	dets, _ := out["detections"].([]any)
	if len(dets) == 0 || out["width"] != float64(w) || out["height"] != float64(h) {
		t.Errorf("%s: %d detections in a %v×%v picture, want the red square's in %d×%d", name, len(dets), out["width"], out["height"], w, h)
		return
	}
	for _, d := range dets {
		m := d.(map[string]any)
		b := m["box"].([]any)
		cx, cy := (b[0].(float64)+b[2].(float64))/2, (b[1].(float64)+b[3].(float64))/2
		if m["label"] != "red thing" || cx < float64(x) || cx > float64(x+side) || cy < float64(y) || cy > float64(y+side) {
			t.Errorf("%s: %v at (%.0f, %.0f), want a red thing inside (%d, %d)+%d", name, m["label"], cx, cy, x, y, side)
		}
	}
}

// TestYOLOExportAnswersDetections serves a folder holding just a YOLO
// export: an inline job and a record file of image pointers answer
// detections, through the real binary under the runtime emulator.
func TestYOLOExportAnswersDetections(t *testing.T) {
	s := newSystem(t, sysOptions{ModelDirs: []string{yoloFolder(t)}, Env: []string{"BATCHINFER_ROUTES=pics/=boxes"}})
	inline, _ := json.Marshal(map[string]any{"job_id": "yolo-inline", "model": "boxes",
		"input": map[string]any{"data_base64": base64.StdEncoding.EncodeToString(redSquare(640, 360, 100, 80, 120))}})
	var lines bytes.Buffer
	for i := range 3 {
		key := fmt.Sprintf("pics/img-%d.png", i)
		s.putObject(s.spec.InputBucket, key, redSquare(400+100*i, 300, 40*i+20, 50, 100))
		fmt.Fprintf(&lines, `{"id": %d, "s3": "s3://%s/%s"}`+"\n", i, s.spec.InputBucket, key)
	}
	rec := s.putObject(s.spec.InputBucket, "pics/batch.jsonl", lines.Bytes())
	s.send(string(inline), notification(s.spec.InputBucket, rec))
	recs := s.waitFinal([]string{"yolo-inline", rec.JobID}, 120*time.Second)

	r := recs["yolo-inline"]
	if r.Status != store.StatusSucceeded || r.Model != "boxes" || r.ModelVersion == "" {
		t.Fatalf("inline: status %s model %q version %q error %+v", r.Status, r.Model, r.ModelVersion, r.Error)
	}
	checkBoxes(t, "inline", s.fullOutput(r), 640, 360, 100, 80, 120)

	f := recs[rec.JobID]
	if f.Status != store.StatusSucceeded || f.Output["succeeded"] != 3.0 {
		t.Fatalf("record file: status %s output %v error %+v", f.Status, f.Output, f.Error)
	}
	sc := bufio.NewScanner(bytes.NewReader(s.getObject(f.OutputURI)))
	sc.Buffer(nil, 1<<20)
	for i := 0; sc.Scan(); i++ {
		var line struct {
			ID     int            `json:"id"`
			Output map[string]any `json:"output"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.ID != i {
			t.Fatalf("line %d: %.200s (%v)", i+1, sc.Text(), err)
		}
		checkBoxes(t, fmt.Sprintf("record %d", i), line.Output, 400+100*i, 300, 40*i+20, 50, 100)
	}
}
