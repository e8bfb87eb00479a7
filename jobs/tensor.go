package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// inputTensors is the field of an Open Inference Protocol request that
// holds its tensors.
const inputTensors = "inputs"

// Tensor is one input tensor of an Open Inference Protocol (KServe v2,
// Triton) request, checked against the protocol: Data holds exactly the
// elements Shape describes, in row-major order.
type Tensor struct {
	Name     string
	Datatype string // FP32, FP64, INT64, INT32, INT8, UINT8 or BOOL
	Shape    []int64
	// Data is a []float32 (FP32), []float64 (FP64), []int64 (INT64),
	// []int32 (INT32), []int8 (INT8), []uint8 (UINT8) or []bool (BOOL).
	Data any
}

// Datatypes lists the protocol datatypes batchinfer takes. FP16 is not
// one: onnxruntime_go v1.27 reads back half of a float16 output's bytes.
var Datatypes = []string{"FP32", "FP64", "INT64", "INT32", "INT8", "UINT8", "BOOL"}

// IsTensorRequest reports whether body is a JSON object with a top-level
// "inputs" member: an Open Inference Protocol request rather than, say, a
// tabular {"features": ...} object.
func IsTensorRequest(body []byte) bool {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	found := false
	objectMembers(body, func(key, _ []byte) { found = found || string(key) == inputTensors })
	return found
}

// TensorRequest is an Open Inference Protocol request as read: its input
// tensors and its "id", which the protocol's response echoes.
type TensorRequest struct {
	ID     string // "" when the request has none (or one that is no string)
	Inputs []Tensor
}

// ParseTensorRequest reads an Open Inference Protocol request
// {"inputs": [{"name", "shape", "datatype", "data"}, …]} with its
// optional "id" (its "parameters" and "outputs" are ignored: every
// output is answered). A request the protocol refuses is an
// invalid_tensor *Error naming the input and what was expected.
func ParseTensorRequest(body []byte) (TensorRequest, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	if r, ok := fastTensorRequest(body); ok {
		return r, nil
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		return TensorRequest{}, Errorf(CodeInvalidTensor, `a tensor request must be a JSON object {"inputs": [...]}`)
	}
	ts, err := decodeTensorRequest(req, "")
	if err != nil {
		return TensorRequest{}, err
	}
	var id string
	_ = json.Unmarshal(req["id"], &id) // an id that is no string is not echoed
	return TensorRequest{ID: id, Inputs: ts}, nil
}

func decodeTensorRequest(req map[string]json.RawMessage, path string) ([]Tensor, error) {
	for k := range req {
		switch k {
		case inputTensors, "id", "parameters", "outputs":
		default:
			return nil, Errorf(CodeInvalidTensor, `%stensor request has unknown field %q (fields: inputs, id, parameters, outputs)`, path, truncate(k))
		}
	}
	raw, ok := req[inputTensors]
	if !ok {
		return nil, Errorf(CodeInvalidTensor, `%stensor request has no "inputs"`, path)
	}
	return decodeTensors(raw, path+inputTensors)
}

// decodeTensors reads a request's "inputs" array.
func decodeTensors(raw json.RawMessage, field string) ([]Tensor, error) {
	if ts, ok := fastTensorArray(raw); ok {
		return ts, nil
	}
	return decodeTensorsSlow(raw, field)
}

// decodeTensorsSlow is decodeTensors through encoding/json, for whatever
// the fast path does not take; it words every error.
func decodeTensorsSlow(raw json.RawMessage, field string) ([]Tensor, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || firstByte(raw) != '[' {
		return nil, Errorf(CodeInvalidTensor, `"%s" must be an array of {"name", "shape", "datatype", "data"}`, field)
	}
	if len(items) == 0 {
		return nil, Errorf(CodeInvalidTensor, `"%s" is empty: a request needs at least one input tensor`, field)
	}
	out := make([]Tensor, len(items))
	seen := map[string]bool{}
	for i, item := range items {
		t, err := decodeTensor(item, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		if seen[t.Name] {
			return nil, Errorf(CodeInvalidTensor, `input %q is given twice`, truncate(t.Name))
		}
		seen[t.Name] = true
		out[i] = t
	}
	return out, nil
}

type tensorWire struct {
	Name       *string         `json:"name"`
	Shape      json.RawMessage `json:"shape"`
	Datatype   *string         `json:"datatype"`
	Data       json.RawMessage `json:"data"`
	Parameters json.RawMessage `json:"parameters"`
}

func decodeTensor(raw json.RawMessage, field string) (Tensor, error) {
	if firstByte(raw) != '{' {
		return Tensor{}, Errorf(CodeInvalidTensor, `"%s" must be an object {"name", "shape", "datatype", "data"}`, field)
	}
	var members []string
	objectMembers(raw, func(key, _ []byte) { members = append(members, string(key)) })
	for _, k := range members {
		switch k {
		case "name", "shape", "datatype", "data", "parameters":
		default:
			return Tensor{}, Errorf(CodeInvalidTensor, `"%s" has unknown field %q (fields: name, shape, datatype, data, parameters)`, field, truncate(k))
		}
	}
	var w tensorWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Tensor{}, Wrap(CodeInvalidTensor, err, `"%s"`, field)
	}
	if w.Name == nil || *w.Name == "" {
		return Tensor{}, Errorf(CodeInvalidTensor, `"%s" has no "name"`, field)
	}
	t := Tensor{Name: *w.Name}
	name := fmt.Sprintf("input %q", truncate(t.Name))
	if w.Datatype == nil {
		return Tensor{}, Errorf(CodeInvalidTensor, `%s has no "datatype" (one of %s)`, name, strings.Join(Datatypes, ", "))
	}
	t.Datatype = *w.Datatype
	shape, err := decodeShape(w.Shape, name)
	if err != nil {
		return Tensor{}, err
	}
	t.Shape = shape
	if w.Data == nil || isNull(w.Data) {
		return Tensor{}, Errorf(CodeInvalidTensor, `%s has no "data"`, name)
	}
	if t.Data, err = decodeData(t.Datatype, w.Data, name); err != nil {
		return Tensor{}, err
	}
	if want, got := elementCount(shape), dataLen(t.Data); want != int64(got) {
		return Tensor{}, Errorf(CodeInvalidTensor, `%s: shape %v holds %d values, data has %d`, name, shape, want, got)
	}
	return t, nil
}

func decodeShape(raw json.RawMessage, name string) ([]int64, error) {
	var shape []int64
	if raw == nil || firstByte(raw) != '[' || json.Unmarshal(raw, &shape) != nil {
		return nil, Errorf(CodeInvalidTensor, `%s: "shape" must be an array of whole numbers`, name)
	}
	for _, d := range shape {
		if d < 0 {
			return nil, Errorf(CodeInvalidTensor, `%s: shape %v has a negative dimension`, name, shape)
		}
	}
	return shape, nil
}

// elementCount is the product of dims, saturating instead of overflowing.
func elementCount(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		if d != 0 && n > math.MaxInt64/d {
			return math.MaxInt64
		}
		n *= d
	}
	return n
}

// decodeData reads "data" as the datatype's Go slice. The common case, a
// flat array of plain numbers, decodes straight into the slice; nested
// arrays (which Triton also accepts) and the strings "NaN", "Infinity"
// and "-Infinity" for floats take the general path.
func decodeData(datatype string, raw json.RawMessage, name string) (any, error) {
	elems, ok := datatypeElems[datatype]
	switch {
	case datatype == "FP16":
		return nil, Errorf(CodeInvalidTensor, `%s is FP16, which is not served (ONNX Runtime's Go binding reads float16 outputs wrongly): send FP32 to a float32 model`, name)
	case !ok:
		return nil, Errorf(CodeInvalidTensor, `%s has datatype %q; batchinfer takes %s`, name, truncate(datatype), strings.Join(Datatypes, ", "))
	}
	if firstByte(raw) != '[' {
		return nil, Errorf(CodeInvalidTensor, `%s: "data" must be an array of %s values in row-major order`, name, datatype)
	}
	if datatype != "UINT8" { // []uint8 would also take a base64 string
		if data, ok := elems.decodeFlat(raw); ok {
			return data, nil
		}
	}
	return decodeDataSlow(datatype, raw, name)
}

// datatypeElems holds, per datatype, the code that depends on its Go
// element type, written once in sliceOf.
var datatypeElems = map[string]elemType{"FP32": sliceOf[float32]{}, "FP64": sliceOf[float64]{},
	"INT64": sliceOf[int64]{}, "INT32": sliceOf[int32]{}, "INT8": sliceOf[int8]{}, "UINT8": sliceOf[uint8]{},
	"BOOL": sliceOf[bool]{}}

type elemType interface {
	make(n int) any
	decodeFlat(raw json.RawMessage) (any, bool)
}

type sliceOf[T float32 | float64 | int64 | int32 | int8 | uint8 | bool] struct{}

func (sliceOf[T]) make(n int) any { return make([]T, n) }

// decodeFlat reads a flat array of plain numbers (or of true and false).
func (sliceOf[T]) decodeFlat(raw json.RawMessage) (any, bool) {
	var s []T
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return s, true
}

// decodeDataSlow flattens nested arrays and converts each value, naming
// the first one the datatype cannot hold.
func decodeDataSlow(datatype string, raw json.RawMessage, name string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, Wrap(CodeInvalidTensor, err, `%s: "data"`, name)
	}
	var flat []any
	var walk func(x any)
	walk = func(x any) {
		if a, ok := x.([]any); ok {
			for _, e := range a {
				walk(e)
			}
			return
		}
		flat = append(flat, x)
	}
	walk(v)
	conv := newConverter(datatype, len(flat))
	for i, x := range flat {
		if err := conv.set(i, x); err != nil {
			return nil, Errorf(CodeInvalidTensor, `%s: data[%d] %s`, name, i, err)
		}
	}
	return conv.data, nil
}

// converter writes values of one datatype into its slice.
type converter struct {
	datatype string
	data     any
}

func newConverter(datatype string, n int) *converter {
	return &converter{datatype: datatype, data: datatypeElems[datatype].make(n)}
}

func (c *converter) set(i int, x any) error {
	if b, ok := c.data.([]bool); ok {
		v, ok := x.(bool)
		if !ok {
			return fmt.Errorf("is not true or false")
		}
		b[i] = v
		return nil
	}
	switch d := c.data.(type) {
	case []float32:
		f, err := floatValue(x, 32)
		d[i] = float32(f)
		return err
	case []float64:
		f, err := floatValue(x, 64)
		d[i] = f
		return err
	}
	num, ok := x.(json.Number)
	if !ok {
		return fmt.Errorf("is not a number")
	}
	bits := map[string]int{"INT64": 64, "INT32": 32, "INT8": 8, "UINT8": 8}[c.datatype]
	if c.datatype == "UINT8" {
		u, err := strconv.ParseUint(string(num), 10, bits)
		if err != nil {
			return fmt.Errorf("%s is not a whole number in 0..255", num)
		}
		c.data.([]uint8)[i] = uint8(u)
		return nil
	}
	v, err := strconv.ParseInt(string(num), 10, bits)
	if err != nil {
		return fmt.Errorf("%s is not a whole number that %s holds", num, c.datatype)
	}
	switch d := c.data.(type) {
	case []int64:
		d[i] = v
	case []int32:
		d[i] = int32(v)
	case []int8:
		d[i] = int8(v)
	}
	return nil
}

// floatValue reads a number, or the strings JSON needs for NaN and ±Inf.
func floatValue(x any, bits int) (float64, error) {
	switch v := x.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), bits)
		if err != nil {
			return 0, fmt.Errorf("%s does not fit FP%d", v, bits)
		}
		return f, nil
	case string:
		switch strings.ToLower(v) {
		case "nan":
			return math.NaN(), nil
		case "infinity", "inf", "+infinity", "+inf":
			return math.Inf(1), nil
		case "-infinity", "-inf":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("is not a number (NaN and infinities are the strings \"NaN\", \"Infinity\", \"-Infinity\")")
}

// dataLen is the element count of a tensor's data, any slice (0 for
// anything else).
func dataLen(data any) int {
	if v := reflect.ValueOf(data); v.Kind() == reflect.Slice {
		return v.Len()
	}
	return 0
}
