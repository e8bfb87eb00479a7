package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/tensor"
)

// Run runs a single-input batch: RunInputs with one tensor.
func (m *Model) Run(ctx context.Context, batch Tensor) ([]Tensor, error) {
	return m.RunInputs(ctx, []Tensor{batch})
}

// RunInputs runs one batch, given as one tensor per manifest input in the
// manifest's order (each with the same leading dim N), and returns one
// tensor per manifest output, each with leading dim N, in the output's own
// dtype; sklearn's seq(map(int64,float32)) becomes float32 [N, classes]
// ordered by class id. Cancelling ctx terminates the run.
func (m *Model) RunInputs(ctx context.Context, inputs []Tensor) ([]Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.manifest.Name, err)
	}
	if m.session == nil {
		return nil, fmt.Errorf("run %s: a pipeline model runs through its Stages", m.manifest.Name)
	}
	if err := m.checkInputs(inputs); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.manifest.Name, err)
	}
	ins := make([]ort.Value, len(inputs))
	defer destroyAll(ins)
	for k, t := range inputs {
		v, err := ortValue(t)
		if err != nil {
			return nil, fmt.Errorf("run %s: input %q %v: %w", m.manifest.Name, m.manifest.Inputs[k].Name, t.Shape, err)
		}
		ins[k] = v
	}

	var runOpts *ort.RunOptions
	if ctx.Done() != nil {
		var err error
		if runOpts, err = ort.NewRunOptions(); err != nil {
			return nil, fmt.Errorf("run %s: run options: %w", m.manifest.Name, err)
		}
		defer runOpts.Destroy()
		stop := context.AfterFunc(ctx, func() { _ = runOpts.Terminate() })
		defer stop()
	}
	outs := make([]ort.Value, len(m.manifest.Outputs)) // nil: ORT allocates them
	err := m.session.RunWithOptions(ins, outs, runOpts)
	defer destroyAll(outs)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("run %s: %w (%v)", m.manifest.Name, ctxErr, err)
		}
		return nil, fmt.Errorf("run %s on %v: %w", m.manifest.Name, inputs[0].Shape, err)
	}
	n := inputs[0].Shape[0]
	res := make([]Tensor, len(outs))
	for i, v := range outs {
		t, err := denseOutput(v, m.manifest.Outputs[i])
		if err != nil {
			return nil, fmt.Errorf("run %s: output %q: %w", m.manifest.Name, m.manifest.Outputs[i].Name, err)
		}
		if len(t.Shape) == 0 || t.Shape[0] != n {
			return nil, fmt.Errorf("run %s: output %q has shape %v for a batch of %d", m.manifest.Name, m.manifest.Outputs[i].Name, t.Shape, n)
		}
		res[i] = t
	}
	return res, nil
}

func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		if v != nil {
			v.Destroy()
		}
	}
}

// checkInputs rejects a malformed batch before ORT sees it: ORT's message
// for a wrong rank, size or dtype is far from the cause.
func (m *Model) checkInputs(inputs []Tensor) error {
	if len(inputs) != len(m.manifest.Inputs) {
		return fmt.Errorf("got %d input tensors; the model takes %d (%s)", len(inputs), len(m.manifest.Inputs), specNames(m.manifest.Inputs))
	}
	for k, b := range inputs {
		spec := m.manifest.Inputs[k]
		if err := b.Check(); err != nil {
			return fmt.Errorf("input %q: %w", spec.Name, err)
		}
		if dt := b.DType().String(); dt != spec.Dtype {
			return fmt.Errorf("input %q is %s; the model takes %s", spec.Name, dt, spec.Dtype)
		}
		if len(b.Shape) != len(spec.Shape) {
			return fmt.Errorf("batch shape %v has %d dims; input %q wants %v", b.Shape, len(b.Shape), spec.Name, spec.Shape)
		}
		if b.Shape[0] != inputs[0].Shape[0] {
			return fmt.Errorf("input %q has %d rows, input %q %d", spec.Name, b.Shape[0], m.manifest.Inputs[0].Name, inputs[0].Shape[0])
		}
		for i, d := range b.Shape {
			if d < 1 {
				return fmt.Errorf("batch shape %v: dim %d is %d", b.Shape, i, d)
			}
			if want := spec.Shape[i]; want > 0 && d != want {
				return fmt.Errorf("batch shape %v: dim %d is %d; input %q wants %v", b.Shape, i, d, spec.Name, spec.Shape)
			}
		}
	}
	return nil
}

func specNames(specs []TensorSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = fmt.Sprintf("%q", s.Name)
	}
	return strings.Join(names, ", ")
}

// ortKind carries one element type across ONNX Runtime's boundary. The
// code is written once, generically, in ortElems; ortKinds looks it up by
// dtype, so no function here spells out the seven element types.
type ortKind interface {
	elementType() ort.TensorElementDataType
	value(shape ort.Shape, data any) (ort.Value, error)
	dense(v ort.Value) (Tensor, bool)
}

var ortKinds = [...]ortKind{tensor.Float32: ortElems[float32]{}, tensor.Float64: ortElems[float64]{},
	tensor.Int64: ortElems[int64]{}, tensor.Int32: ortElems[int32]{}, tensor.Int8: ortElems[int8]{},
	tensor.Uint8: ortElems[uint8]{}, tensor.Bool: ortElems[bool]{}}

type ortElems[T tensor.Elem] struct{}

func (ortElems[T]) elementType() ort.TensorElementDataType {
	return ort.TensorElementDataType(ort.GetTensorElementDataType[T]())
}

func (ortElems[T]) value(shape ort.Shape, data any) (ort.Value, error) {
	return ort.NewTensor(shape, data.([]T))
}

func (ortElems[T]) dense(v ort.Value) (Tensor, bool) {
	t, ok := v.(*ort.Tensor[T])
	if !ok {
		return Tensor{}, false
	}
	return tensor.New(slices.Clone([]int64(t.GetShape())), t.GetData()), true
}

// ortValue wraps t's data (not copied) in an ORT tensor.
func ortValue(t Tensor) (ort.Value, error) {
	if dt := t.DType(); int(dt) < len(ortKinds) && ortKinds[dt] != nil {
		return ortKinds[dt].value(ort.NewShape(t.Shape...), t.Data)
	}
	return nil, fmt.Errorf("data %T is not a tensor dtype", t.Data)
}

// denseOutput turns an ORT output into a Go tensor that outlives the
// value, which is destroyed when Run returns. onnxruntime_go already
// copied ORT's output into a Go slice and released ORT's buffer; Destroy
// only releases the OrtValue that wraps that Go slice. So the slice is
// ours to keep: cloning it again cost a tenth of ppocr-rec's run
// ([N,T,6625] floats).
func denseOutput(v ort.Value, spec TensorSpec) (Tensor, error) {
	if s, ok := v.(*ort.Sequence); ok {
		return seqMapToDense(s, spec)
	}
	for _, k := range ortKinds {
		if k == nil {
			continue
		}
		if t, ok := k.dense(v); ok {
			return t, nil
		}
	}
	return Tensor{}, fmt.Errorf("unsupported ORT value %T (%v)", v, v.GetONNXType())
}

// seqMapToDense turns sklearn's per-row {class id: probability} maps into
// [N, classes]. Class ids must be 0..classes-1, so that column i is class i
// and the manifest labels index it.
func seqMapToDense(s *ort.Sequence, spec TensorSpec) (Tensor, error) {
	rows, err := s.GetValues()
	if err != nil {
		return Tensor{}, fmt.Errorf("read sequence: %w", err)
	}
	classes := int64(-1)
	if len(spec.Shape) == 2 {
		classes = spec.Shape[1]
	}
	var data []float32
	for r, v := range rows {
		mp, ok := v.(*ort.Map)
		if !ok {
			return Tensor{}, fmt.Errorf("row %d is %T, not a map", r, v)
		}
		kv, vv, err := mp.GetKeysAndValues()
		if err != nil {
			return Tensor{}, fmt.Errorf("row %d: read map: %w", r, err)
		}
		keys, kok := kv.(*ort.Tensor[int64])
		vals, vok := vv.(*ort.Tensor[float32])
		if !kok || !vok {
			return Tensor{}, fmt.Errorf("row %d: map is %T→%T, want int64→float32", r, kv, vv)
		}
		k, p := keys.GetData(), vals.GetData()
		if classes < 0 {
			classes = int64(len(k))
		}
		if int64(len(k)) != classes {
			return Tensor{}, fmt.Errorf("row %d has %d classes; manifest shape says %d", r, len(k), classes)
		}
		row := make([]float32, classes)
		seen := make([]bool, classes)
		for i, id := range k {
			if id < 0 || id >= classes || seen[id] {
				return Tensor{}, errors.New("class ids are not 0..classes-1")
			}
			seen[id] = true
			row[id] = p[i]
		}
		data = append(data, row...)
	}
	if classes < 0 {
		classes = 0
	}
	return Tensor{Shape: []int64{int64(len(rows)), classes}, Data: data}, nil
}
