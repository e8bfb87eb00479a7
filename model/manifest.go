package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/batchinfer/batchinfer/tensor"
)

// Manifest describes one model folder: what the .onnx file takes and gives,
// how inputs become tensor rows and rows become results, and the batch
// limits. It is read from DIR/manifest.json, or derived by Inspect from a
// folder that has none (a Hugging Face export, an Ultralytics export, a
// bare .onnx); a manifest.json beside such files overrides what it sets.
type Manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Task picks the codec registered for it (RegisterCodec): "tensor",
	// "text-classification", "token-classification",
	// "feature-extraction", "object-detection", …. Empty: the codecs of
	// preprocess.kind and postprocess.kind.
	Task        string       `json:"task,omitempty"`
	File        string       `json:"file"` // the .onnx file, relative to the folder
	Inputs      []TensorSpec `json:"inputs"`
	Outputs     []TensorSpec `json:"outputs"`
	Preprocess  Preprocess   `json:"preprocess"`
	Postprocess Postprocess  `json:"postprocess"`
	Labels      []string     `json:"labels,omitempty"`  // class names, index = class id
	Charset     string       `json:"charset,omitempty"` // CTC charset file, one symbol a line
	Batch       BatchSpec    `json:"batch"`
	// FeatureSource names a DynamoDB table a job's entity keys into; Reuse
	// answers an input already inferred by this version from the stored
	// output (features.go).
	FeatureSource *FeatureSource `json:"feature_source,omitempty"`
	Reuse         bool           `json:"reuse,omitempty"`

	// Options of the text codecs (tasks text-classification,
	// token-classification, feature-extraction).
	Pooling     string `json:"pooling,omitempty"`     // feature-extraction: mean, cls, max or last
	Normalize   *bool  `json:"normalize,omitempty"`   // feature-extraction: L2-normalise (default true)
	MaxLength   int    `json:"max_length,omitempty"`  // tokens per text, at most what the folder allows
	TopK        int    `json:"top_k,omitempty"`       // text-classification: labels answered (0 = all)
	Aggregation string `json:"aggregation,omitempty"` // token-classification: none or simple
	// Activation is how text-classification turns logits into scores:
	// softmax, or sigmoid for multi-label models (a Hugging Face export's
	// problem_type multi_label_classification).
	Activation string `json:"activation,omitempty"`
	// Vectors is feature-extraction's side output of a record file's
	// embeddings: parquet, npy or off (empty: BATCHINFER_VECTORS).
	Vectors string `json:"vectors,omitempty"`

	// Options of the detection codecs (task object-detection).
	Conf   *float64 `json:"conf,omitempty"`    // confidence threshold
	IoU    *float64 `json:"iou,omitempty"`     // NMS IoU threshold
	MaxDet int      `json:"max_det,omitempty"` // detections kept per image

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
// and always starts with the batch dim, which is -1 or 1 (a model exported
// with a static batch of one: it runs one row at a time). Dtype is one of
// float32, float64, int64, int32, int8, uint8, bool, or (outputs only)
// "seq(map(int64,float32))" for sklearn's list of per-row
// class→probability maps, which Run turns into a dense [N, classes]
// float32 tensor.
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
	// MaxBatchTokens caps rows × the padded length of the first input
	// (a text model's tokens per run); 0 = no cap.
	MaxBatchTokens int64 `json:"max_batch_tokens,omitempty"`
}

// Dtypes a manifest may name, besides the other tensor.DType names.
const (
	DtypeFloat32    = "float32"
	DtypeInt64      = "int64"
	DtypeInt32      = "int32"
	DtypeSeqMapProb = "seq(map(int64,float32))"
)

// tensorDtypes is every dtype name an input may have, for error messages.
const tensorDtypes = "float32, float64, int64, int32, int8, uint8 or bool"

// readManifest reads DIR/manifest.json as it is, unvalidated: it may be a
// complete manifest or the overrides of a folder Inspect describes.
// found is false when the folder has none.
func readManifest(dir string) (m Manifest, found bool, err error) {
	path := filepath.Join(dir, "manifest.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read manifest: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a misspelt key would silently fall back to a default
	if err := dec.Decode(&m); err != nil {
		return m, true, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, true, nil
}

// validate checks what can be checked without the session.
func (m *Manifest) validate() error {
	if len(m.Pipeline) > 0 {
		return m.validatePipeline()
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	m.validateNames(bad)
	if err := m.FeatureSource.validate(); err != nil {
		bad("%v", err)
	}
	if m.File == "" || filepath.IsAbs(m.File) || strings.Contains(m.File, "..") {
		bad("file %q must be a file name inside the model folder", m.File)
	}
	if len(m.Inputs) == 0 {
		bad("inputs is empty")
	}
	if len(m.Outputs) == 0 {
		bad("outputs is empty")
	}
	for _, kind := range []string{"inputs", "outputs"} {
		specs := map[string][]TensorSpec{"inputs": m.Inputs, "outputs": m.Outputs}[kind]
		names := map[string]bool{}
		for i, s := range specs {
			if s.Name == "" {
				bad("%s[%d].name is empty", kind, i)
			}
			if names[s.Name] {
				bad("%s[%d].name %q is used twice", kind, i, s.Name)
			}
			names[s.Name] = true
			if _, ok := tensor.ParseDType(s.Dtype); !ok && (kind == "inputs" || s.Dtype != DtypeSeqMapProb) {
				also := ""
				if kind == "outputs" {
					also = " or " + DtypeSeqMapProb
				}
				bad("%s[%d].dtype %q is not %s%s", kind, i, s.Dtype, tensorDtypes, also)
			}
			if len(s.Shape) == 0 || (s.Shape[0] != -1 && s.Shape[0] != 1) {
				bad("%s[%d].shape %v must start with the batch dim: -1 (dynamic) or 1 (a model exported for one row per run)", kind, i, s.Shape)
			}
			for j, d := range s.Shape {
				if d == 0 || d < -1 {
					bad("%s[%d].shape[%d] is %d; use a positive size or -1", kind, i, j, d)
				}
			}
		}
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
	if m.Batch.MaxBatchTokens < 0 {
		bad("batch.max_batch_tokens is %d; it must be 0 (no cap) or more", m.Batch.MaxBatchTokens)
	}
	return errors.Join(errs...)
}

// staticBatch reports whether an input's batch dim is fixed at one: such
// a model runs one row at a time whatever batch.max_batch says.
func (m *Manifest) staticBatch() bool {
	for _, s := range m.Inputs {
		if len(s.Shape) > 0 && s.Shape[0] == 1 {
			return true
		}
	}
	return false
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
