package model

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// detectorBatchBytes caps a detector run's input: 16 rows at imgsz 640.
const detectorBatchBytes = 16 * 3 * 640 * 640 * 4

// validateDetector checks a detector manifest (postprocess kind "yolo"):
// its inputs and outputs come from the export, so only the file, names
// and thresholds are the manifest's.
func (m *Manifest) validateDetector() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	m.validateNames(bad)
	if m.File == "" || filepath.IsAbs(m.File) || strings.Contains(m.File, "..") {
		bad("file %q must be a file name inside the model folder", m.File)
	}
	if k := m.Preprocess.Kind; k != "" && k != "letterbox" {
		bad("a yolo model's preprocess.kind is letterbox, not %q", k)
	}
	switch yoloFormat(m.Postprocess.Format) {
	case "", yoloV8, yoloV5, yoloNMS:
	default:
		bad("postprocess.format %q is not yolov8, yolov5 or yolo_nms", m.Postprocess.Format)
	}
	if p := m.Postprocess; p.Conf < 0 || p.Conf >= 1 || p.IoU < 0 || p.IoU > 1 || p.MaxDet < 0 {
		bad("postprocess needs 0 <= conf < 1, 0 <= iou <= 1 and max_det >= 0")
	}
	if (m.Preprocess.Width > 0) != (m.Preprocess.Height > 0) {
		bad("preprocess.width and height override the input size together")
	}
	return errors.Join(errs...)
}

// ultralyticsManifest is the manifest of a folder holding one .onnx and
// no manifest.json when that .onnx is an Ultralytics detection export (its
// metadata names classes): named after the folder, versioned by a hash of
// the file. ok is false when the folder is not such an export.
func ultralyticsManifest(dir string) (man Manifest, ok bool, err error) {
	onnx, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil || len(onnx) != 1 {
		return man, false, nil
	}
	props, err := modelMetadata(onnx[0])
	if err != nil {
		return man, false, err
	}
	meta, ok, err := parseUltralyticsMeta(props)
	if !ok || err != nil {
		return man, ok, err
	}
	if meta.task != "" && meta.task != "detect" {
		return man, true, fmt.Errorf("%s is an Ultralytics %s export; batchinfer runs detect exports", filepath.Base(onnx[0]), meta.task)
	}
	version, err := fileHash(onnx[0])
	if err != nil {
		return man, true, err
	}
	abs, _ := filepath.Abs(dir)
	return Manifest{
		Name: filepath.Base(abs), Version: version, File: filepath.Base(onnx[0]),
		Preprocess: Preprocess{Kind: "letterbox"}, Postprocess: Postprocess{Kind: "yolo"},
	}, true, nil
}

// fileHash is the first 12 hex digits of a file's SHA-256.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// readAnyManifest reads DIR/manifest.json, or makes the manifest of an
// Ultralytics export's folder that has none.
func readAnyManifest(dir string) (Manifest, error) {
	_, statErr := os.Stat(filepath.Join(dir, "manifest.json"))
	if !errors.Is(statErr, fs.ErrNotExist) {
		return readManifest(dir)
	}
	man, ok, err := ultralyticsManifest(dir)
	if err != nil {
		return man, err
	}
	if !ok {
		return readManifest(dir) // its error names the missing manifest
	}
	return man, nil
}

// buildDetector loads an object detector: one stage (role objects) whose
// session is the export, read through its own metadata and I/O; the model
// around it decodes pictures and documents into pages for it.
func buildDetector(dir string, man Manifest, opts Options) (*Model, error) {
	path := filepath.Join(dir, man.File)
	ins, outs, err := ioInfo(path)
	if err != nil {
		return nil, fmt.Errorf("read I/O info of %s: %w", man.File, err)
	}
	if len(ins) != 1 || len(outs) < 1 {
		return nil, fmt.Errorf("%s has %d inputs and %d outputs; a detector has one image input and its detections first", man.File, len(ins), len(outs))
	}
	props, err := modelMetadata(path)
	if err != nil {
		return nil, err
	}
	p := man.Postprocess
	d, err := newDetector(props, ins[0], outs[0], DetectOverrides{Format: yoloFormat(p.Format), Labels: man.Labels,
		Conf: p.Conf, IoU: p.IoU, MaxDet: p.MaxDet, Width: man.Preprocess.Width, Height: man.Preprocess.Height})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", man.File, err)
	}
	st := man
	st.Role = RoleObjects
	st.Inputs = []TensorSpec{{Name: ins[0].Name, Dtype: DtypeFloat32, Shape: []int64{-1, 3, int64(d.H), int64(d.W)}}}
	st.Outputs = []TensorSpec{{Name: outs[0].Name, Dtype: DtypeFloat32, Shape: outs[0].Dimensions}}
	st.Batch.MaxBatchBytes = max(st.Batch.MaxBatchBytes, detectorBatchBytes)
	switch b := ins[0].Dimensions[0]; {
	case b > 0: // a static batch (the default export: 1) runs that many at a time
		st.Batch.MaxBatch = int(b)
		st.Inputs[0].Shape[0] = b
	case st.Batch.MaxBatch < 1:
		st.Batch.MaxBatch = 8
	}
	stage := &Model{dir: dir, manifest: st, objects: d}
	if stage.session, err = newSession(path, st, opts); err != nil {
		return nil, err
	}
	page := &imageCodec{p: man.Preprocess}
	if page.p.MaxPixels <= 0 {
		page.p.MaxPixels = defaultMaxPixels
	}
	wrapper := man
	wrapper.Batch = BatchSpec{MaxBatch: st.Batch.MaxBatch}
	return &Model{dir: dir, manifest: wrapper, page: page, stages: []*Model{stage}}, nil
}

// FixedBatch reports whether the model's session takes batches of one
// size only (a detector exported with a static batch dim): its MaxBatch
// is that size, and no caller may run more rows at once.
func (m *Model) FixedBatch() bool {
	if m.IsPipeline() {
		return m.stages[0].FixedBatch()
	}
	return len(m.manifest.Inputs) > 0 && len(m.manifest.Inputs[0].Shape) > 0 && m.manifest.Inputs[0].Shape[0] > 0
}
