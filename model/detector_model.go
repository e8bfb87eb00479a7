package model

import (
	"fmt"
	"path/filepath"
	"strings"
)

// detectorBatchBytes caps a detector run's input: 16 rows at imgsz 640.
const detectorBatchBytes = 16 * 3 * 640 * 640 * 4

// buildDetector loads an object detector (task object-detection: an
// Ultralytics export's folder, or a manifest naming the task): one stage
// (role objects) whose session is the export, read through its metadata
// and I/O, and a model around it that decodes pictures and documents into
// pages for it. The manifest's labels, postprocess conf, iou, max_det and
// format, and preprocess width and height override the export's.
func buildDetector(spec *Spec, opts Options) (*Model, error) {
	dir, man := spec.Dir, spec.Manifest
	path := filepath.Join(dir, man.File)
	ins, outs, err := ioInfo(path)
	if err != nil {
		return nil, fmt.Errorf("read I/O info of %s: %w", man.File, err)
	}
	if len(ins) != 1 || len(outs) < 1 {
		return nil, fmt.Errorf("%s has %d inputs and %d outputs; a detector has one image input and its detections first", man.File, len(ins), len(outs))
	}
	props := spec.Metadata
	if props == nil {
		if props, err = modelMetadata(path); err != nil {
			return nil, err
		}
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
	stage := &Model{dir: dir, manifest: st, spec: spec, objects: d}
	if stage.session, err = newSession(path, st, opts); err != nil {
		return nil, err
	}
	page := &imageCodec{p: man.Preprocess}
	if page.p.MaxPixels <= 0 {
		page.p.MaxPixels = defaultMaxPixels
	}
	wrapper := man
	wrapper.Batch = BatchSpec{MaxBatch: st.Batch.MaxBatch}
	return &Model{dir: dir, manifest: wrapper, spec: spec, page: page, stages: []*Model{stage}}, nil
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

// exportedWithNMS reads an Ultralytics export's args for nms=True.
func exportedWithNMS(props map[string]string) bool {
	args := strings.ReplaceAll(props["args"], " ", "")
	return strings.Contains(args, "'nms':True") || strings.Contains(args, `"nms":true`)
}
