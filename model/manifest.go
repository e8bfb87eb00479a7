package model

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Manifest describes one model folder: what the .onnx file takes and gives,
// how inputs become tensor rows and rows become results, and the batch
// limits. It is read from DIR/manifest.json.
type Manifest struct {
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	File        string       `json:"file"` // the .onnx file, relative to the folder
	Inputs      []TensorSpec `json:"inputs"`
	Outputs     []TensorSpec `json:"outputs"`
	Preprocess  Preprocess   `json:"preprocess"`
	Postprocess Postprocess  `json:"postprocess"`
	Labels      []string     `json:"labels,omitempty"`  // class names, index = class id
	Charset     string       `json:"charset,omitempty"` // CTC charset file, one symbol a line
	Batch       BatchSpec    `json:"batch"`

	// Pipeline makes this a model of stages instead of one session: the
	// model's own preprocess (kind "page") decodes the input, and each
	// stage is a model of its own (file, I/O, codecs, batch limits, all
	// checked against its session) that plays a Role. File, Inputs,
	// Outputs, Postprocess and Batch stay empty on a pipeline model.
	Pipeline []Manifest `json:"pipeline,omitempty"`
	// Role is a stage's part in its pipeline: "detect" (the first stage:
	// page in, regions out), "orient" (a classifier over each region's
	// crop whose Postprocess.FlipLabel turns the crop 180°) or "read" (a
	// CTC recogniser over each region's crop: its text and confidence).
	Role string `json:"role,omitempty"`
}

// TensorSpec is one model input or output. Shape uses -1 for dynamic dims
// and always starts with the batch dim. Dtype is "float32", "int64", or
// "seq(map(int64,float32))" for sklearn's list of per-row class→probability
// maps, which Run turns into a dense [N, classes] tensor.
type TensorSpec struct {
	Name  string  `json:"name"`
	Dtype string  `json:"dtype"`
	Shape []int64 `json:"shape"`
}

// Preprocess picks and tunes the input codec.
//
// Kind "image": PNG/JPEG, resized to Height keeping the aspect ratio, width
// at most Width (wider images are squeezed to Width, as PaddleOCR's cls
// does), padded right with PadValue to exactly Width.
//
// Kind "text_line": like "image" but the width is the row's own: the
// resized width rounded up to WidthMultiple, at least MinWidth; wider than
// MaxWidth is squeezed to MaxWidth; wider than RejectWidth is not a text line
// (bad_image_dimensions).
//
// Kind "tabular": JSON {"features": [...]} or {"features": {name: value}}
// with the names in Features.
type Preprocess struct {
	Kind          string    `json:"kind"`
	Height        int       `json:"height,omitempty"`
	Width         int       `json:"width,omitempty"`
	MinWidth      int       `json:"min_width,omitempty"`
	MaxWidth      int       `json:"max_width,omitempty"`
	RejectWidth   int       `json:"reject_width,omitempty"`
	WidthMultiple int       `json:"width_multiple,omitempty"`
	ChannelOrder  string    `json:"channel_order,omitempty"` // "RGB" or "BGR"
	Scale         float32   `json:"scale,omitempty"`         // pixel * scale, then (x - mean) / std
	Mean          []float32 `json:"mean,omitempty"`
	Std           []float32 `json:"std,omitempty"`
	PadValue      float32   `json:"pad_value"`            // value of padded elements, after normalisation
	MaxPixels     int64     `json:"max_pixels,omitempty"` // declared width*height cap, checked before decoding
	MaxInputBytes int64     `json:"max_input_bytes,omitempty"`
	Features      []string  `json:"features,omitempty"`
	// MaxSide (kind "detect_image") is the longest side a page is resized
	// to, keeping its aspect ratio; pages smaller than that keep their
	// size. Both sides are then rounded to WidthMultiple (PaddleOCR's
	// limit_side_len with limit_type "max").
	MaxSide int `json:"max_side,omitempty"`
	// CropMargin (a pipeline's first stage that reads crops) pushes each
	// side of a detected box out by this fraction of its height before
	// the crop is cut: the recogniser was trained on lines with paper
	// around them, and on DB's tight boxes it runs words together.
	CropMargin float64 `json:"crop_margin,omitempty"`
	// Documents (a pipeline or detector model's PDF and TIFF inputs):
	// MaxPages pages at most (over it: too_many_pages; 0: 100), PDF pages
	// rendered at DPI (0: 200), and with TextLayer a digital PDF page's
	// own text taken instead of OCR (page OCR only). MaxPixels caps each
	// page.
	MaxPages  int  `json:"max_pages,omitempty"`
	DPI       int  `json:"dpi,omitempty"`
	TextLayer bool `json:"text_layer,omitempty"`
}

// Postprocess picks the output codec.
//
// Kind "classification": Output holds per-class probabilities (or logits
// when Softmax is set) → label, score, top_k.
// Kind "ctc": Output is [T, classes]; greedy CTC over Charset with Blank
// as the blank index (and a space appended when AppendSpace) → text,
// confidence.
// Kind "tabular": LabelOutput holds the predicted class id, Output the
// per-class probabilities → label, score, probabilities.
type Postprocess struct {
	Kind string `json:"kind"`
	// Kind "yolo" (an object detector): Format is yolov8 ([1, 4+C, N],
	// v8/v11), yolov5 ([1, N, 5+C]) or yolo_nms (an nms=True export's
	// [1, K, 6]), else told from the export; Conf, IoU and MaxDet replace
	// Ultralytics' defaults for the family (0.25, 0.7, 300; YOLOv5 0.25,
	// 0.45, 1000).
	Format      string  `json:"format,omitempty"`
	Conf        float64 `json:"conf,omitempty"`
	IoU         float64 `json:"iou,omitempty"`
	MaxDet      int     `json:"max_det,omitempty"`
	Output      string  `json:"output,omitempty"`
	LabelOutput string  `json:"label_output,omitempty"`
	Softmax     bool    `json:"softmax,omitempty"`
	TopK        int     `json:"top_k,omitempty"`
	Blank       int     `json:"blank,omitempty"`
	AppendSpace bool    `json:"append_space,omitempty"`
	// FoldFullwidth maps full-width ASCII variants (U+FF01–U+FF5E, U+3000)
	// to ASCII in CTC text. PaddleOCR's Chinese charset holds both "(" and
	// "（", which look alike in Latin fonts; the model picks between them
	// almost at random, so Latin text is only stable folded.
	FoldFullwidth bool `json:"fold_fullwidth,omitempty"`

	// Kind "db" (PaddleOCR's DBPostProcess over a [1, H, W] probability
	// map): pixels above Threshold are text; each connected region's
	// min-area rectangle is kept when its mean probability reaches
	// BoxThreshold and its short side MinSize, then grown by UnclipRatio
	// (area × ratio / perimeter on every side). At most MaxCandidates
	// regions per page are considered.
	Threshold     float64 `json:"threshold,omitempty"`
	BoxThreshold  float64 `json:"box_threshold,omitempty"`
	UnclipRatio   float64 `json:"unclip_ratio,omitempty"`
	MinSize       float64 `json:"min_size,omitempty"`
	MaxCandidates int     `json:"max_candidates,omitempty"`
	// FlipLabel (role "orient"): a crop classified as this label with a
	// score of at least Threshold is turned 180° before the next stage.
	FlipLabel string `json:"flip_label,omitempty"`
	// DropScore (role "read"): lines read with a lower confidence, or as
	// empty text, are left out of the page (PaddleOCR's drop_score).
	DropScore float64 `json:"drop_score,omitempty"`
}

// BatchSpec holds the limits batching packs against.
type BatchSpec struct {
	MaxBatch      int   `json:"max_batch"`
	MaxBatchBytes int64 `json:"max_batch_bytes"`
	Bucket        int   `json:"bucket,omitempty"` // dynamic dims are padded to a multiple of this within a batch
}

// Dtypes a manifest may name.
const (
	DtypeFloat32    = "float32"
	DtypeInt64      = "int64"
	DtypeSeqMapProb = "seq(map(int64,float32))"
)

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	path := filepath.Join(dir, "manifest.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields() // a misspelt key would silently fall back to a default
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := m.validate(); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// validate checks what can be checked without the session.
func (m *Manifest) validate() error {
	if len(m.Pipeline) > 0 {
		return m.validatePipeline()
	}
	if m.Postprocess.Kind == "yolo" {
		return m.validateDetector()
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	m.validateNames(bad)
	if m.File == "" || filepath.IsAbs(m.File) || strings.Contains(m.File, "..") {
		bad("file %q must be a file name inside the model folder", m.File)
	}
	if len(m.Inputs) != 1 {
		bad("inputs has %d entries; batchinfer serves models with exactly one input", len(m.Inputs))
	}
	if len(m.Outputs) == 0 {
		bad("outputs is empty")
	}
	for kind, specs := range map[string][]TensorSpec{"inputs": m.Inputs, "outputs": m.Outputs} {
		for i, s := range specs {
			if s.Name == "" {
				bad("%s[%d].name is empty", kind, i)
			}
			switch s.Dtype {
			case DtypeFloat32, DtypeInt64, DtypeSeqMapProb:
			default:
				bad("%s[%d].dtype %q is not float32, int64 or %s", kind, i, s.Dtype, DtypeSeqMapProb)
			}
			if len(s.Shape) == 0 || s.Shape[0] != -1 {
				bad("%s[%d].shape %v must start with the dynamic batch dim -1", kind, i, s.Shape)
			}
			for j, d := range s.Shape {
				if d == 0 || d < -1 {
					bad("%s[%d].shape[%d] is %d; use a positive size or -1", kind, i, j, d)
				}
			}
		}
	}
	if len(m.Inputs) == 1 && m.Inputs[0].Dtype != DtypeFloat32 {
		bad("inputs[0].dtype is %q; only float32 inputs are supported", m.Inputs[0].Dtype)
	}
	if m.Batch.MaxBatch < 1 {
		bad("batch.max_batch is %d; it must be at least 1", m.Batch.MaxBatch)
	}
	if m.Batch.MaxBatchBytes < 1 {
		bad("batch.max_batch_bytes is %d; it must be positive", m.Batch.MaxBatchBytes)
	}
	if m.Batch.Bucket < 0 {
		bad("batch.bucket is %d; it must be 0 or more", m.Batch.Bucket)
	}
	return errors.Join(errs...)
}

// validateNames checks what every manifest, pipeline or not, must name.
func (m *Manifest) validateNames(bad func(format string, a ...any)) {
	if m.Name == "" {
		bad("name is empty")
	}
	if m.Version == "" {
		bad("version is empty")
	}
}

// output returns the index of the output named name.
func (m *Manifest) output(name string) (int, bool) {
	for i, o := range m.Outputs {
		if o.Name == name {
			return i, true
		}
	}
	return 0, false
}

// readCharset reads one symbol per line; the final line may lack "\n".
func readCharset(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read charset: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read charset %s: %w", path, err)
	}
	return out, nil
}
