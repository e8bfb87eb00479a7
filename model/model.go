package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/tensor"
)

// Options tune how a model is loaded and its session runs.
type Options struct {
	// Name names a model whose folder has no manifest naming it (the
	// default is the folder's base name; for an s3:// prefix copied to a
	// local folder, pass the prefix's last component).
	Name string

	// IntraOpThreads is ORT's intra-op thread count; 0 means the CPUs this
	// process may use (GOMAXPROCS, which follows affinity and cgroup
	// limits: one on a 1,769 MB Lambda).
	IntraOpThreads int
}

// Tensor is the shared tensor type (batching.Tensor is the same type).
type Tensor = tensor.Tensor

// Model is one loaded model: its manifest, its ORT session and its codecs.
// Preprocess, Run and Postprocess are safe for concurrent use.
type Model struct {
	dir      string
	manifest Manifest
	spec     *Spec
	session  *ort.DynamicAdvancedSession
	codec    Codec // nil for a pipeline and its stages
	pre      preprocessor
	post     postprocessor

	// A pipeline model has no session: page decodes its input and stages
	// do the work. A stage has det and db (role detect) or img and post.
	page   *imageCodec
	stages []*Model
	det    *detCodec
	db     *dbPost
	img    *imageCodec
	// An object detector is a model of one stage whose objects does the
	// letterbox and the detections.
	objects *detector

	closeOnce sync.Once
	closeErr  error
}

// Load reads a model folder (Inspect), creates the session, checks the
// manifest against the session's own input/output info and makes the
// model's codec. InitRuntime must have succeeded first.
func Load(dir string, opts Options) (*Model, error) {
	if !ort.IsInitialized() {
		return nil, fmt.Errorf("load model %s: ONNX Runtime is not initialised: call model.InitRuntime first", dir)
	}
	spec, err := Inspect(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	m, err := build(spec, opts)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	return m, nil
}

// build loads a validated spec: its session and codec, or its stages.
func build(spec *Spec, opts Options) (*Model, error) {
	dir, man := spec.Dir, spec.Manifest
	if len(man.Pipeline) > 0 {
		return buildPipeline(dir, man, opts)
	}
	if man.Task == TaskObjectDetection {
		return buildDetector(spec, opts)
	}
	onnxPath := filepath.Join(dir, man.File)
	if _, err := os.Stat(onnxPath); err != nil {
		return nil, fmt.Errorf("manifest file: %w", err)
	}
	if spec.Inputs == nil {
		// Check the declared I/O before creating the session: ORT's own
		// error for a wrong input name is less clear than naming the
		// manifest field.
		ins, outs, err := ioInfo(onnxPath)
		if err != nil {
			return nil, fmt.Errorf("read I/O info of %s: %w", man.File, err)
		}
		if err := checkIO(man, ins, outs); err != nil {
			return nil, err
		}
		if spec.Inputs, err = specsOf("input", ins); err != nil {
			return nil, err
		}
		if spec.Outputs, err = specsOf("output", outs); err != nil {
			return nil, err
		}
	}
	m := &Model{dir: dir, manifest: man, spec: spec}
	if err := m.initCodec(); err != nil {
		return nil, err
	}
	var err error
	if m.session, err = newSession(onnxPath, man, opts); err != nil {
		return nil, err
	}
	return m, nil
}

// initCodec makes the model's codec: a stage's role codecs, the codec
// registered for the manifest's task, or the preprocess and postprocess
// kinds' codecs.
func (m *Model) initCodec() error {
	man := m.manifest
	var err error
	switch {
	case man.Role != "":
		if err := m.initRole(m.dir); err != nil {
			return fmt.Errorf("role %s: %w", man.Role, err)
		}
		return nil
	case man.Task == TaskTensor:
		m.codec = tensorOnly{name: man.Name}
	case man.Task != "":
		factory, ok := codecFor(man.Task)
		if !ok {
			return fmt.Errorf("task %q has no codec in this build (tasks: %s, %s)", man.Task, TaskTensor, strings.Join(Tasks(), ", "))
		}
		if m.codec, err = factory(m.spec); err != nil {
			return fmt.Errorf("task %s: %w", man.Task, err)
		}
	default:
		if m.pre, err = newPreprocessor(man); err != nil {
			return fmt.Errorf("preprocess: %w", err)
		}
		if m.post, err = newPostprocessor(m.dir, man); err != nil {
			return fmt.Errorf("postprocess: %w", err)
		}
		m.codec = kindCodec{pre: m.pre, post: m.post}
	}
	return nil
}

// ioInfo reads the model's declared inputs and outputs through a session
// that skips graph optimisation: the info is the same, and optimising the
// graph twice (here and for the real session) was most of a cold start.
func ioInfo(path string) ([]ort.InputOutputInfo, []ort.InputOutputInfo, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
		return nil, nil, fmt.Errorf("disable graph optimisation: %w", err)
	}
	return ort.GetInputOutputInfoWithOptions(path, so)
}

func newSession(path string, man Manifest, opts Options) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer so.Destroy()
	threads := opts.IntraOpThreads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("set intra-op threads %d: %w", threads, err)
	}
	// Concurrent Runs already overlap; inter-op parallelism would only
	// oversubscribe the few cores a Lambda has.
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("set inter-op threads: %w", err)
	}
	// ORT's pool threads spin between ops by default. Here Go goroutines
	// decode and preprocess on the same few cores, so spinning steals their
	// CPU: measured on 2 busy cores it cost about a third more CPU time for
	// the same throughput.
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("disable intra-op spinning: %w", err)
	}
	var inNames, outNames []string
	for _, s := range man.Inputs {
		inNames = append(inNames, s.Name)
	}
	for _, s := range man.Outputs {
		outNames = append(outNames, s.Name)
	}
	s, err := ort.NewDynamicAdvancedSession(path, inNames, outNames, so)
	if err != nil {
		return nil, fmt.Errorf("create session for %s: %w", path, err)
	}
	return s, nil
}

// checkIO compares the manifest with the model's declared inputs and
// outputs. A manifest dim may narrow a dynamic model dim (cls declares
// 48×192 where the model takes any size) but never contradict a fixed one.
func checkIO(man Manifest, ins, outs []ort.InputOutputInfo) error {
	var errs []error
	if len(ins) != len(man.Inputs) {
		errs = append(errs, fmt.Errorf("manifest lists %d inputs but the model has %d (%s)", len(man.Inputs), len(ins), ioNames(ins)))
	}
	for i, spec := range man.Inputs {
		errs = append(errs, checkSpec("inputs", i, spec, ins))
	}
	for i, spec := range man.Outputs {
		errs = append(errs, checkSpec("outputs", i, spec, outs))
	}
	return errors.Join(errs...)
}

func checkSpec(kind string, i int, spec TensorSpec, infos []ort.InputOutputInfo) error {
	var info *ort.InputOutputInfo
	for j := range infos {
		if infos[j].Name == spec.Name {
			info = &infos[j]
		}
	}
	if info == nil {
		return fmt.Errorf("manifest %s[%d].name is %q but the model's %s are %s", kind, i, spec.Name, kind, ioNames(infos))
	}
	if spec.Dtype == DtypeSeqMapProb && kind == "outputs" {
		if info.OrtValueType != ort.ONNXTypeSequence {
			return fmt.Errorf("manifest %s[%d].dtype is %s but the model says %v", kind, i, spec.Dtype, info.OrtValueType)
		}
		return nil // ORT does not describe a sequence's elements; Run checks them
	}
	if info.OrtValueType != ort.ONNXTypeTensor {
		return fmt.Errorf("manifest %s[%d].dtype is %s but the model says %v", kind, i, spec.Dtype, info.OrtValueType)
	}
	if want := dtypeName(info.DataType); want != spec.Dtype {
		return fmt.Errorf("manifest %s[%d].dtype is %s but the model says %s", kind, i, spec.Dtype, want)
	}
	if len(spec.Shape) != len(info.Dimensions) {
		return fmt.Errorf("manifest %s[%d].shape %v has %d dims but the model says %v", kind, i, spec.Shape, len(spec.Shape), info.Dimensions)
	}
	for j, d := range spec.Shape {
		md := info.Dimensions[j]
		if md > 0 && d != md {
			hint := ""
			if j == 0 && md == 1 {
				hint = " (the model was exported with a static batch of one: write 1, and each run takes one row)"
			}
			if j == 0 && md > 1 {
				hint = fmt.Sprintf(" (a static batch of %d is not served: export the model with a dynamic batch dim, or a batch of 1)", md)
			}
			return fmt.Errorf("manifest %s[%d].shape[%d] is %d but the model says %d%s", kind, i, j, d, md, hint)
		}
	}
	return nil
}

// dtypeName is the manifest's name of an ORT element type; types
// batchinfer does not carry (float16, strings, unsigned ints above 8 bits)
// keep ORT's own name, which no manifest dtype equals.
func dtypeName(t ort.TensorElementDataType) string {
	for dt, k := range ortKinds {
		if k != nil && k.elementType() == t {
			return tensor.DType(dt).String()
		}
	}
	return t.String()
}

func ioNames(infos []ort.InputOutputInfo) string {
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = fmt.Sprintf("%q", in.Name)
	}
	return fmt.Sprint(names)
}

// Name is the manifest's model name.
func (m *Model) Name() string { return m.manifest.Name }

// Version is the manifest's model version.
func (m *Model) Version() string { return m.manifest.Version }

// Manifest returns a copy of the manifest.
func (m *Model) Manifest() Manifest { return m.manifest }

// MaxBatch is the most rows one Run may take; for a pipeline model, the
// inputs worth gathering into one call (its stages have their own).
func (m *Model) MaxBatch() int {
	if m.IsPipeline() {
		return m.pagesPerCall()
	}
	if m.manifest.staticBatch() {
		return 1
	}
	return m.manifest.Batch.MaxBatch
}

// MaxBatchBytes caps one batch's input tensor size in bytes; for a
// pipeline model, its read stage's.
func (m *Model) MaxBatchBytes() int64 {
	if m.IsPipeline() {
		return m.stages[len(m.stages)-1].MaxBatchBytes()
	}
	return m.manifest.Batch.MaxBatchBytes
}

// PadValue is the value for padded elements of dynamic dims, already
// normalised (0 for PaddleOCR: mid-grey, exactly what PaddleOCR pads with).
func (m *Model) PadValue() float32 { return m.manifest.Preprocess.PadValue }

// PadMultiple is the multiple dynamic dims are padded up to inside a batch;
// 0 or 1 means pad to the batch's largest row only.
func (m *Model) PadMultiple() int { return m.manifest.Batch.Bucket }

// Preprocess turns one input's bytes into one tensor row, without the
// batch dim, for a model of one input: PreprocessInput's one row's one
// tensor. Bad input gives an *InputError.
func (m *Model) Preprocess(data []byte) (Tensor, error) {
	rows, err := m.PreprocessInput(Input{Data: data})
	if err != nil {
		return Tensor{}, err
	}
	if len(rows) != 1 || len(rows[0].Inputs) != 1 {
		return Tensor{}, fmt.Errorf("preprocess %s: the model takes %d input tensors: use PreprocessInput", m.manifest.Name, len(m.manifest.Inputs))
	}
	return rows[0].Inputs[0], nil
}

// Postprocess turns ONE row's outputs (one per manifest output, leading
// dim removed) into a JSON-ready result of plain maps, slices, strings and
// float64s:
//
//	classification: {"label": "0", "score": 0.99, "top_k": [{"label": "0", "score": 0.99}, ...]}
//	ctc:            {"text": "Total: $12.50", "confidence": 0.98}
//	tabular:        {"label": "setosa", "score": 1, "probabilities": {"setosa": 1, ...}}
//
// For OCR the time axis may include steps from width padding; they decode
// as blanks.
func (m *Model) Postprocess(outputs []Tensor) (map[string]any, error) {
	if len(outputs) != len(m.manifest.Outputs) {
		return nil, fmt.Errorf("postprocess %s: got %d outputs, the manifest lists %d", m.manifest.Name, len(outputs), len(m.manifest.Outputs))
	}
	if m.post == nil {
		return nil, fmt.Errorf("postprocess %s: a pipeline model gives its output through Flow.Result", m.manifest.Name)
	}
	res, err := m.post.postprocess(outputs)
	if err != nil {
		return nil, fmt.Errorf("postprocess %s: %w", m.manifest.Name, err)
	}
	return res, nil
}

// Close releases the session. It is safe to call more than once.
func (m *Model) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		for _, st := range m.stages {
			errs = append(errs, st.Close())
		}
		if m.session != nil {
			errs = append(errs, m.session.Destroy())
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}
