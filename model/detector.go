package model

import (
	"fmt"
	"image"

	ort "github.com/yalue/onnxruntime_go"
)

// detector is an object detector's codecs: the letterbox in, detections
// out. It is made from an Ultralytics export's metadata and its session's
// I/O, and a manifest may override its thresholds, labels and size.
type detector struct {
	format yoloFormat
	labels []string
	lim    detectLimits
	W, H   int
}

// DetectOverrides are the manifest's say over a detector: any zero field
// keeps what the export's metadata and Ultralytics' defaults give.
type DetectOverrides struct {
	Format yoloFormat
	Labels []string
	Conf   float64
	IoU    float64
	MaxDet int
	Width  int
	Height int
}

// modelMetadata is the .onnx's metadata_props.
func modelMetadata(path string) (map[string]string, error) {
	md, err := ort.GetModelMetadata(path)
	if err != nil {
		return nil, fmt.Errorf("read metadata of %s: %w", path, err)
	}
	defer md.Destroy()
	keys, err := md.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, fmt.Errorf("read metadata keys of %s: %w", path, err)
	}
	props := make(map[string]string, len(keys))
	for _, k := range keys {
		if props[k], _, err = md.LookupCustomMetadataMap(k); err != nil {
			return nil, fmt.Errorf("read metadata %s of %s: %w", k, path, err)
		}
	}
	return props, nil
}

// newDetector works out the output layout, labels and input size of a
// detection export from its metadata, its one image input [B, 3, H, W]
// and its one output, then applies the overrides.
func newDetector(props map[string]string, in, out ort.InputOutputInfo, o DetectOverrides) (*detector, error) {
	meta := &UltralyticsExport{}
	if isUltralytics(props) {
		var err error
		if meta, err = readUltralytics(props); err != nil {
			return nil, err
		}
	}
	switch o.Format {
	case "", yoloV8, yoloV5, yoloNMS:
	default:
		return nil, fmt.Errorf("postprocess.format %q is not yolov8, yolov5 or yolo_nms", o.Format)
	}
	if o.Conf < 0 || o.Conf >= 1 || o.IoU < 0 || o.IoU > 1 || o.MaxDet < 0 {
		return nil, fmt.Errorf("postprocess needs 0 <= conf < 1, 0 <= iou <= 1 and max_det >= 0")
	}
	d := &detector{labels: meta.Names, format: o.Format}
	if len(o.Labels) > 0 {
		d.labels = o.Labels
	}
	if len(d.labels) == 0 {
		return nil, fmt.Errorf("a detector needs class names: the export's metadata names or the manifest's labels")
	}
	is := in.Dimensions
	if len(is) != 4 || is[1] != 3 {
		return nil, fmt.Errorf("input %s is %v; a detector takes [batch, 3, height, width]", in.Name, is)
	}
	if len(meta.ImgSize) == 2 {
		d.H, d.W = meta.ImgSize[0], meta.ImgSize[1]
	}
	if is[2] > 0 && is[3] > 0 { // a static export's input shape is its size (YOLOv5's has no imgsz)
		d.H, d.W = int(is[2]), int(is[3])
	}
	if o.Height > 0 && o.Width > 0 {
		d.H, d.W = o.Height, o.Width
	}
	if d.H < 1 || d.W < 1 {
		return nil, fmt.Errorf("the input size is dynamic and neither metadata imgsz nor the manifest gives it")
	}
	if d.format == "" {
		var err error
		if d.format, err = guessYOLOFormat(meta.Task, exportedWithNMS(props), out.Dimensions, len(d.labels)); err != nil {
			return nil, err
		}
	}
	d.lim = defaultLimits(d.format)
	if o.Conf > 0 {
		d.lim.conf = o.Conf
	}
	if o.IoU > 0 {
		d.lim.iou = o.IoU
	}
	if o.MaxDet > 0 {
		d.lim.maxDet = o.MaxDet
	}
	return d, nil
}

// guessYOLOFormat tells the layouts apart by the output's shape, the class
// count and the metadata: Ultralytics (v8/v11) exports carry a task,
// YOLOv5's do not; nms=True says so in args and gives six columns.
func guessYOLOFormat(task string, nms bool, s []int64, classes int) (yoloFormat, error) {
	if len(s) != 3 {
		return "", fmt.Errorf("output shape %v is not [batch, a, b]", s)
	}
	switch {
	case nms && s[2] == 6:
		return yoloNMS, nil
	case task != "" && s[1] == int64(4+classes):
		return yoloV8, nil
	case s[2] == int64(5+classes):
		return yoloV5, nil
	case s[1] == int64(4+classes):
		return yoloV8, nil
	}
	return "", fmt.Errorf("output shape %v fits no YOLO layout for %d classes ([1, 4+C, N], [1, N, 5+C] or an nms=True [1, K, 6])", s, classes)
}

// row letterboxes one displayed image into the detector's input.
func (d *detector) row(img image.Image) (Tensor, letterbox) {
	b := img.Bounds()
	lb := newLetterbox(b.Dx(), b.Dy(), d.W, d.H)
	return lb.row(img), lb
}

// result is one image's detections from its output (the batch dim removed).
func (d *detector) result(out Tensor, lb letterbox) (map[string]any, error) {
	return detections(d.format, out, d.labels, d.lim, lb)
}
