package model

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/batchinfer/batchinfer/tensor"
)

// tensorState marks the rows of an Open Inference Protocol request (an
// empty struct: putting it in Row.State allocates nothing).
type tensorState struct{}

// tensorRows checks a request's tensors against the model's inputs (every
// input named once, its dtype, its rank, its fixed dims, one batch size
// for all) and cuts it into one row per batch index, so requests whose
// other dims agree share runs and split back.
func tensorRows(specs []TensorSpec, req []tensor.Named) ([]Row, error) {
	ordered, err := orderTensors(specs, req)
	if err != nil {
		return nil, err
	}
	batch := int64(-1)
	for k, t := range ordered {
		if err := checkTensor(specs[k], t); err != nil {
			return nil, err
		}
		if batch >= 0 && t.Shape[0] != batch {
			return nil, inputErrorf(codeInvalidTensor, "input %q has a batch of %d, input %q of %d: all inputs need one batch size", t.Name, t.Shape[0], ordered[0].Name, batch)
		}
		batch = t.Shape[0]
	}
	n, width := int(batch), len(ordered)
	rows := make([]Row, n)
	inputs := make([]Tensor, n*width) // every row's inputs in one allocation
	for i := range rows {
		rows[i] = Row{Inputs: inputs[i*width : (i+1)*width : (i+1)*width], State: tensorState{}}
	}
	for k, t := range ordered {
		if n == 1 { // the row is the tensor, batch dim dropped
			inputs[k] = Tensor{Shape: t.Shape[1:], Data: t.Data}
			continue
		}
		for i, data := range tensor.SplitRows(t.Data, n) {
			inputs[i*width+k] = Tensor{Shape: t.Shape[1:], Data: data}
		}
	}
	return rows, nil
}

// orderTensors puts a request's tensors in the model's input order,
// checking that every input is named once and nothing else is. A request
// that already lists them in order (the usual one) is returned as it is.
func orderTensors(specs []TensorSpec, req []tensor.Named) ([]tensor.Named, error) {
	inOrder := len(req) == len(specs)
	for k := 0; inOrder && k < len(req); k++ {
		inOrder = req[k].Name == specs[k].Name
	}
	if inOrder {
		return req, nil
	}
	byName := make(map[string]int, len(req))
	for i, t := range req {
		if _, dup := byName[t.Name]; dup {
			return nil, inputErrorf(codeInvalidTensor, "input %q is given twice", t.Name)
		}
		byName[t.Name] = i
	}
	ordered := make([]tensor.Named, len(specs))
	for k, s := range specs {
		i, ok := byName[s.Name]
		if !ok {
			return nil, inputErrorf(codeInvalidTensor, "input %q is missing: the model takes %s", s.Name, describeSpecs(specs))
		}
		ordered[k] = req[i]
		delete(byName, s.Name)
	}
	for name := range byName {
		return nil, inputErrorf(codeInvalidTensor, "the model has no input %q: it takes %s", name, describeSpecs(specs))
	}
	return ordered, nil
}

// checkTensor compares one request tensor with the model input it names.
func checkTensor(s TensorSpec, t tensor.Named) error {
	want := s.Dtype
	if d, ok := tensor.ParseDType(s.Dtype); ok {
		want = d.OIPName()
	}
	if got := t.DType(); got == tensor.Invalid || got.String() != s.Dtype {
		return inputErrorf(codeInvalidTensor, "input %q is %s; the model takes %s", t.Name, t.DType().OIPName(), want)
	}
	if err := t.Check(); err != nil {
		return inputErrorf(codeInvalidTensor, "input %q: %v", t.Name, err)
	}
	if len(t.Shape) != len(s.Shape) {
		return inputErrorf(codeInvalidTensor, "input %q has shape %v; the model takes %s %s (batch dim first)", t.Name, t.Shape, want, shapeText(s.Shape))
	}
	if t.Shape[0] < 1 {
		return inputErrorf(codeInvalidTensor, "input %q has a batch of %d; send at least one row", t.Name, t.Shape[0])
	}
	for d := 1; d < len(s.Shape); d++ {
		if (s.Shape[d] > 0 && t.Shape[d] != s.Shape[d]) || t.Shape[d] < 1 {
			return inputErrorf(codeInvalidTensor, "input %q has shape %v; the model takes %s %s (dim %d must be %s)",
				t.Name, t.Shape, want, shapeText(s.Shape), d, dimText(s.Shape[d]))
		}
	}
	return nil
}

func describeSpecs(specs []TensorSpec) string {
	parts := make([]string, len(specs))
	for i, s := range specs {
		dt := s.Dtype
		if d, ok := tensor.ParseDType(s.Dtype); ok {
			dt = d.OIPName()
		}
		parts[i] = fmt.Sprintf("%q %s %s", s.Name, dt, shapeText(s.Shape))
	}
	return strings.Join(parts, ", ")
}

// shapeText writes a spec's shape with -1 as "N" (the batch) or "*".
func shapeText(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		switch {
		case d > 0:
			parts[i] = fmt.Sprint(d)
		case i == 0:
			parts[i] = "N"
		default:
			parts[i] = "*"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func dimText(d int64) string {
	if d > 0 {
		return fmt.Sprint(d)
	}
	return "at least 1"
}

// OutputTensor is one output tensor of a tensor request's response. Its
// fields are in the order encoding/json wrote the map it replaces
// (alphabetical), so responses read byte for byte as before, and the tags
// keep the DynamoDB item's attribute names; a struct encodes without the
// map's allocation and key sorting, which cost more than an iris row runs.
type OutputTensor struct {
	Data     any     `json:"data" dynamodbav:"data"`
	Datatype string  `json:"datatype" dynamodbav:"datatype"`
	Name     string  `json:"name" dynamodbav:"name"`
	Shape    []int64 `json:"shape" dynamodbav:"shape"`
}

// tensorResponse gathers the outputs of a request's rows (in batch order)
// into the protocol's response: {"outputs": []OutputTensor}.
func tensorResponse(specs []TensorSpec, outputs [][]Tensor) (map[string]any, error) {
	if len(outputs) == 1 {
		return oneRowResponse(specs, outputs[0])
	}
	res := make([]OutputTensor, len(specs))
	for o, s := range specs {
		t, err := stackOutput(outputs, o)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s.Name, err)
		}
		res[o] = OutputTensor{Name: s.Name, Shape: t.Shape, Datatype: t.DType().OIPName(), Data: jsonData(t.Data)}
	}
	return map[string]any{"outputs": res}, nil
}

// oneRowResponse is tensorResponse for a request of one row (the common
// case): each output is the row's data as it is (a view of the run's
// output that no other row shares) behind a leading dim of 1, and the
// shapes share one array.
func oneRowResponse(specs []TensorSpec, outs []Tensor) (map[string]any, error) {
	dims := 0
	for _, t := range outs {
		dims += len(t.Shape) + 1
	}
	shapes := make([]int64, 0, dims)
	res := make([]OutputTensor, len(specs))
	for o, s := range specs {
		t := outs[o]
		dt := t.DType()
		if dt == tensor.Invalid {
			return nil, fmt.Errorf("output %q: dtype of %T", s.Name, t.Data)
		}
		start := len(shapes)
		shapes = append(append(shapes, 1), t.Shape...)
		res[o] = OutputTensor{Name: s.Name, Shape: shapes[start:len(shapes):len(shapes)], Datatype: dt.OIPName(), Data: jsonData(t.Data)}
	}
	return map[string]any{"outputs": res}, nil
}

// stackOutput puts output o of every row behind a leading dim.
func stackOutput(outputs [][]Tensor, o int) (Tensor, error) {
	rows := make([]Tensor, len(outputs))
	for i := range outputs {
		rows[i] = outputs[i][o]
	}
	return stackRows(rows)
}

// stackRows puts row outputs of one shape and dtype behind a leading dim.
func stackRows(rows []Tensor) (Tensor, error) {
	first := rows[0]
	dt := first.DType()
	per := first.Len()
	data := tensor.Make(dt, per*len(rows))
	if data == nil {
		return Tensor{}, fmt.Errorf("dtype of %T", first.Data)
	}
	for i, r := range rows {
		if r.DType() != dt || !slices.Equal(r.Shape, first.Shape) {
			return Tensor{}, fmt.Errorf("rows of one request gave shapes %v and %v", first.Shape, r.Shape)
		}
		tensor.Place(data, i*per, r.Shape, r)
	}
	return Tensor{Shape: append([]int64{int64(len(rows))}, first.Shape...), Data: data}, nil
}

// jsonData is tensor data as JSON can carry it: encoding/json writes a
// []uint8 as base64, so bytes become ints; NaN and ±Inf, which JSON has no
// numbers for, become the strings "NaN", "Infinity" and "-Infinity" (the
// spellings the tabular codec reads).
func jsonData(data any) any {
	switch d := data.(type) {
	case []uint8:
		out := make([]int, len(d))
		for i, v := range d {
			out[i] = int(v)
		}
		return out
	case []float32:
		if !allFinite(d) {
			return finiteOrText(d)
		}
	case []float64:
		if !allFinite(d) {
			return finiteOrText(d)
		}
	}
	return data
}

func allFinite[T float32 | float64](d []T) bool {
	for _, v := range d {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

func finiteOrText[T float32 | float64](d []T) []any {
	out := make([]any, len(d))
	for i, v := range d {
		f := float64(v)
		switch {
		case math.IsNaN(f):
			out[i] = "NaN"
		case math.IsInf(f, 1):
			out[i] = "Infinity"
		case math.IsInf(f, -1):
			out[i] = "-Infinity"
		default:
			out[i] = v
		}
	}
	return out
}

// TensorRequestJSON writes tensors as an Open Inference Protocol request
// {"inputs": [...]}, the form jobs.ParseTensorRequest reads back to the
// same values (NaN and infinities as strings, bytes as numbers).
func TensorRequestJSON(ts []tensor.Named) []byte {
	inputs := make([]any, len(ts))
	for i, t := range ts {
		inputs[i] = map[string]any{"name": t.Name, "shape": t.Shape, "datatype": t.DType().OIPName(), "data": jsonData(t.Data)}
	}
	b, err := json.Marshal(map[string]any{"inputs": inputs})
	if err != nil {
		panic("model: a tensor request always encodes: " + err.Error())
	}
	return b
}
