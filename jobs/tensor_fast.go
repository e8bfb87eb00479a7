package jobs

import (
	"strconv"

	"github.com/batchinfer/batchinfer/scan"
)

// fastTensorRequest reads the common Open Inference Protocol request in one
// pass: {"inputs": [...]}, perhaps with a plain string "id", holding
// tensors that tensor() takes. encoding/json walks a request five times
// over (the body, the array, each tensor's members, its shape, its data)
// and costs several times what a small model takes to run a row, so the
// common case skips it. It reports false for anything else, and the
// general parser then decides, with its error: the fast path only ever
// accepts what the general one accepts, with the same result
// (tensor_fast_test.go checks both).
func fastTensorRequest(body []byte) (TensorRequest, bool) {
	var r TensorRequest
	p := newTensorScan(body, 0)
	if !p.Lit('{') {
		return r, false
	}
	var haveID bool
	for {
		k, ok := p.str()
		if !ok || !p.Lit(':') {
			return r, false
		}
		switch {
		case string(k) == inputTensors && r.Inputs == nil:
			if r.Inputs, ok = p.tensors(); !ok {
				return r, false
			}
		case string(k) == "id" && !haveID:
			id, ok := p.str()
			if !ok {
				return r, false
			}
			r.ID = string(id)
			haveID = true
		default:
			return r, false
		}
		if p.Lit('}') {
			break
		}
		if !p.Lit(',') {
			return r, false
		}
	}
	return r, r.Inputs != nil && p.AtEnd()
}

// fastTensorArray is fastTensorRequest for a request's "inputs" array.
func fastTensorArray(raw []byte) ([]Tensor, bool) {
	p := newTensorScan(raw, 0)
	ts, ok := p.tensors()
	if !ok {
		return nil, false
	}
	return ts, p.AtEnd()
}

// tensorScan is scan.Scanner with the tokens of a tensor request.
type tensorScan struct{ scan.Scanner }

func newTensorScan(b []byte, i int) *tensorScan {
	return &tensorScan{scan.Scanner{B: b, I: i}}
}

// tensors reads a non-empty array of tensors with distinct names.
func (p *tensorScan) tensors() ([]Tensor, bool) {
	var ts []Tensor
	ok := p.array(func() bool {
		t, ok := p.tensor()
		if !ok {
			return false
		}
		for _, o := range ts {
			if o.Name == t.Name {
				return false
			}
		}
		ts = append(ts, t)
		return true
	})
	return ts, ok && len(ts) > 0
}

// array reads a JSON array, each element by each (after any white space
// before it), and reports whether it was well formed and each took its
// element.
func (p *tensorScan) array(each func() bool) bool {
	if !p.Lit('[') {
		return false
	}
	if p.Lit(']') {
		return true
	}
	for {
		p.Space()
		if !each() {
			return false
		}
		if p.Lit(']') {
			return true
		}
		if !p.Lit(',') {
			return false
		}
	}
}

// tensor reads {"name", "shape", "datatype", "data"} in any order, each
// once and nothing else: a plain ASCII name, a served datatype, a shape
// of whole numbers and a flat data array of plain JSON values that fill
// it exactly.
func (p *tensorScan) tensor() (Tensor, bool) {
	var t Tensor
	var data []byte
	var seen [4]bool
	if !p.Lit('{') {
		return t, false
	}
	for {
		k, ok := p.str()
		if !ok || !p.Lit(':') {
			return t, false
		}
		m := memberIndex(string(k))
		if m < 0 || seen[m] {
			return t, false
		}
		seen[m] = true
		switch m {
		case 0:
			name, ok := p.str()
			if !ok || len(name) == 0 {
				return t, false
			}
			t.Name = string(name)
		case 1:
			if t.Shape, ok = p.shape(); !ok {
				return t, false
			}
		case 2:
			dt, ok := p.str()
			if !ok {
				return t, false
			}
			t.Datatype = datatypeName(dt)
		case 3:
			p.Space()
			start := p.I
			if !p.skipFlatArray() {
				return t, false
			}
			data = p.B[start:p.I]
		}
		if p.Lit('}') {
			break
		}
		if !p.Lit(',') {
			return t, false
		}
	}
	if seen != [4]bool{true, true, true, true} {
		return t, false
	}
	n := elementCount(t.Shape)
	var ok bool
	t.Data, ok = fastData(t.Datatype, data, n)
	return t, ok
}

// datatypeName is dt as a string, the served datatypes without a copy.
func datatypeName(dt []byte) string {
	for _, d := range Datatypes {
		if string(dt) == d {
			return d
		}
	}
	return string(dt)
}

// memberIndex numbers a tensor's members; -1 for any other key.
func memberIndex(k string) int {
	switch k {
	case "name":
		return 0
	case "shape":
		return 1
	case "datatype":
		return 2
	case "data":
		return 3
	}
	return -1
}

// fastData reads a flat array that skipFlatArray accepted as the
// datatype's slice of exactly n values, converting each value exactly as
// encoding/json and decodeDataSlow do.
func fastData(datatype string, raw []byte, n int64) (any, bool) {
	if n > int64(len(raw)) { // every value takes at least a byte
		return nil, false
	}
	switch datatype {
	case "FP32":
		return fastValues(raw, n, parseFP32)
	case "FP64":
		return fastValues(raw, n, parseFP64)
	case "INT64":
		return fastValues(raw, n, parseInt[int64])
	case "INT32":
		return fastValues(raw, n, parseInt[int32])
	case "INT8":
		return fastValues(raw, n, parseInt[int8])
	case "UINT8":
		return fastValues(raw, n, parseUint8)
	case "BOOL":
		return fastValues(raw, n, parseBool)
	}
	return nil, false
}

// The value parsers take the bytes and convert them to a string only in
// the strconv call, where the compiler needs no heap copy.
func parseFP32(b []byte) (float32, bool) {
	f, err := strconv.ParseFloat(string(b), 32)
	return float32(f), err == nil
}

func parseFP64(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

func parseInt[T int64 | int32 | int8](b []byte) (T, bool) {
	var zero T
	bits := 64
	switch any(zero).(type) {
	case int32:
		bits = 32
	case int8:
		bits = 8
	}
	v, err := strconv.ParseInt(string(b), 10, bits)
	return T(v), err == nil
}

func parseUint8(b []byte) (uint8, bool) {
	v, err := strconv.ParseUint(string(b), 10, 8)
	return uint8(v), err == nil
}

func parseBool(b []byte) (bool, bool) {
	s := string(b)
	return s == "true", s == "true" || s == "false"
}

// fastValues parses the values of a flat array into n elements.
func fastValues[T any](raw []byte, n int64, parse func([]byte) (T, bool)) (any, bool) {
	out := make([]T, 0, n)
	p := newTensorScan(raw, 1) // past '['
	for p.Space(); p.I < len(p.B) && p.B[p.I] != ']'; p.Space() {
		start := p.I
		for p.I < len(p.B) && p.B[p.I] != ',' && p.B[p.I] != ']' && !scan.IsSpace(p.B[p.I]) {
			p.I++
		}
		if int64(len(out)) == n {
			return nil, false
		}
		v, ok := parse(p.B[start:p.I])
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.Lit(',')
	}
	return out, int64(len(out)) == n
}

// skipFlatArray passes an array of JSON numbers, true and false, checking
// the number grammar (RFC 8259) so that the parsers above never see text
// encoding/json would refuse; anything else (nested arrays, strings,
// null) reports false.
func (p *tensorScan) skipFlatArray() bool {
	return p.array(func() bool { return p.Number() || p.Word("true") || p.Word("false") })
}

// shape reads an array of whole numbers without sign, leading zeros,
// fraction or exponent.
func (p *tensorScan) shape() ([]int64, bool) {
	shape := make([]int64, 0, 4)
	ok := p.array(func() bool {
		start := p.I
		p.Digits()
		digits := p.B[start:p.I]
		if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
			return false
		}
		d, err := strconv.ParseInt(string(digits), 10, 64)
		shape = append(shape, d)
		return err == nil
	})
	if !ok {
		return nil, false
	}
	return shape, true
}

// str reads a string of printable ASCII without escapes (the text
// between its quotes, not copied).
func (p *tensorScan) str() ([]byte, bool) {
	if !p.Lit('"') {
		return nil, false
	}
	start := p.I
	for p.I < len(p.B) && p.B[p.I] != '"' {
		if c := p.B[p.I]; c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
		p.I++
	}
	if p.I == len(p.B) {
		return nil, false
	}
	p.I++
	return p.B[start : p.I-1], true
}
