package model

import (
	"context"
	"errors"
	"fmt"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// Run runs one batch (leading dim N) and returns one dense float32 tensor per
// manifest output, each with leading dim N. int64 outputs are converted to
// float32 and sklearn's seq(map(int64,float32)) to [N, classes] ordered by
// class id. Cancelling ctx terminates the run.
func (m *Model) Run(ctx context.Context, batch Tensor) ([]Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.manifest.Name, err)
	}
	if m.session == nil {
		return nil, fmt.Errorf("run %s: a pipeline model runs through its Stages", m.manifest.Name)
	}
	if err := m.checkBatch(batch); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.manifest.Name, err)
	}
	in, err := ort.NewTensor(ort.NewShape(batch.Shape...), batch.Data)
	if err != nil {
		return nil, fmt.Errorf("run %s: input tensor %v: %w", m.manifest.Name, batch.Shape, err)
	}
	defer in.Destroy()

	var runOpts *ort.RunOptions
	if ctx.Done() != nil {
		if runOpts, err = ort.NewRunOptions(); err != nil {
			return nil, fmt.Errorf("run %s: run options: %w", m.manifest.Name, err)
		}
		defer runOpts.Destroy()
		stop := context.AfterFunc(ctx, func() { _ = runOpts.Terminate() })
		defer stop()
	}
	outs := make([]ort.Value, len(m.manifest.Outputs)) // nil: ORT allocates them
	err = m.session.RunWithOptions([]ort.Value{in}, outs, runOpts)
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("run %s: %w (%v)", m.manifest.Name, ctxErr, err)
		}
		return nil, fmt.Errorf("run %s on %v: %w", m.manifest.Name, batch.Shape, err)
	}
	n := batch.Shape[0]
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

// checkBatch rejects a malformed batch before ORT sees it: ORT's message for
// a wrong rank or size is far from the cause.
func (m *Model) checkBatch(b Tensor) error {
	spec := m.manifest.Inputs[0]
	if len(b.Shape) != len(spec.Shape) {
		return fmt.Errorf("batch shape %v has %d dims; input %q wants %v", b.Shape, len(b.Shape), spec.Name, spec.Shape)
	}
	size := int64(1)
	for i, d := range b.Shape {
		if d < 1 {
			return fmt.Errorf("batch shape %v: dim %d is %d", b.Shape, i, d)
		}
		if want := spec.Shape[i]; want > 0 && d != want {
			return fmt.Errorf("batch shape %v: dim %d is %d; input %q wants %v", b.Shape, i, d, spec.Name, spec.Shape)
		}
		size *= d
	}
	if int64(len(b.Data)) != size {
		return fmt.Errorf("batch shape %v holds %d values but Data has %d", b.Shape, size, len(b.Data))
	}
	return nil
}

// denseOutput turns an ORT output into a Go float32 tensor that outlives
// the value, which is destroyed when Run returns.
func denseOutput(v ort.Value, spec TensorSpec) (Tensor, error) {
	switch t := v.(type) {
	case *ort.Tensor[float32]:
		// onnxruntime_go already copied ORT's output into a Go slice and
		// released ORT's buffer; Destroy only releases the OrtValue that
		// wraps that Go slice. So the slice is ours to keep: cloning it
		// again cost a tenth of ppocr-rec's run ([N,T,6625] floats).
		return Tensor{Shape: slices.Clone([]int64(t.GetShape())), Data: t.GetData()}, nil
	case *ort.Tensor[int64]:
		src := t.GetData()
		data := make([]float32, len(src))
		for i, x := range src {
			data[i] = float32(x)
		}
		return Tensor{Shape: slices.Clone([]int64(t.GetShape())), Data: data}, nil
	case *ort.Sequence:
		return seqMapToDense(t, spec)
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
