package jobs

import (
	"strconv"
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
func fastTensorRequest(body []byte) ([]Tensor, bool) {
	p := scan{b: body}
	if !p.lit('{') {
		return nil, false
	}
	var ts []Tensor
	var haveID bool
	for {
		k, ok := p.str()
		if !ok || !p.lit(':') {
			return nil, false
		}
		switch {
		case string(k) == inputTensors && ts == nil:
			if ts, ok = p.tensors(); !ok {
				return nil, false
			}
		case string(k) == "id" && !haveID:
			if _, ok = p.str(); !ok {
				return nil, false
			}
			haveID = true
		default:
			return nil, false
		}
		if p.lit('}') {
			break
		}
		if !p.lit(',') {
			return nil, false
		}
	}
	p.space()
	return ts, ts != nil && p.i == len(p.b)
}

// fastTensorArray is fastTensorRequest for a request's "inputs" array.
func fastTensorArray(raw []byte) ([]Tensor, bool) {
	p := scan{b: raw}
	ts, ok := p.tensors()
	if !ok {
		return nil, false
	}
	p.space()
	return ts, p.i == len(p.b)
}

// scan is a cursor over JSON text for the fast paths.
type scan struct {
	b []byte
	i int
}

// tensors reads a non-empty array of tensors with distinct names.
func (p *scan) tensors() ([]Tensor, bool) {
	if !p.lit('[') {
		return nil, false
	}
	var ts []Tensor
	for {
		t, ok := p.tensor()
		if !ok {
			return nil, false
		}
		for _, o := range ts {
			if o.Name == t.Name {
				return nil, false
			}
		}
		ts = append(ts, t)
		if p.lit(']') {
			return ts, true
		}
		if !p.lit(',') {
			return nil, false
		}
	}
}

// tensor reads {"name", "shape", "datatype", "data"} in any order, each
// once and nothing else: a plain ASCII name, a served datatype, a shape
// of whole numbers and a flat data array of plain JSON values that fill
// it exactly.
func (p *scan) tensor() (Tensor, bool) {
	var t Tensor
	var data []byte
	var seen [4]bool
	if !p.lit('{') {
		return t, false
	}
	for {
		k, ok := p.str()
		if !ok || !p.lit(':') {
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
			p.space()
			start := p.i
			if !p.skipFlatArray() {
				return t, false
			}
			data = p.b[start:p.i]
		}
		if p.lit('}') {
			break
		}
		if !p.lit(',') {
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
	p := scan{b: raw, i: 1} // past '['
	for p.space(); p.i < len(p.b) && p.b[p.i] != ']'; p.space() {
		start := p.i
		for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != ']' && !isSpace(p.b[p.i]) {
			p.i++
		}
		if int64(len(out)) == n {
			return nil, false
		}
		v, ok := parse(p.b[start:p.i])
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.lit(',')
	}
	return out, int64(len(out)) == n
}

// skipFlatArray passes an array of JSON numbers, true and false, checking
// the number grammar (RFC 8259) so that the parsers above never see text
// encoding/json would refuse; anything else (nested arrays, strings,
// null) reports false.
func (p *scan) skipFlatArray() bool {
	if !p.lit('[') {
		return false
	}
	if p.lit(']') {
		return true
	}
	for {
		p.space()
		if !p.number() && !p.word("true") && !p.word("false") {
			return false
		}
		if p.lit(']') {
			return true
		}
		if !p.lit(',') {
			return false
		}
	}
}

// shape reads an array of whole numbers without sign, leading zeros,
// fraction or exponent.
func (p *scan) shape() ([]int64, bool) {
	if !p.lit('[') {
		return nil, false
	}
	shape := make([]int64, 0, 4)
	if p.lit(']') {
		return shape, true
	}
	for {
		p.space()
		start := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		digits := p.b[start:p.i]
		if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
			return nil, false
		}
		d, err := strconv.ParseInt(string(digits), 10, 64)
		if err != nil {
			return nil, false
		}
		shape = append(shape, d)
		if p.lit(']') {
			return shape, true
		}
		if !p.lit(',') {
			return nil, false
		}
	}
}

// str reads a string of printable ASCII without escapes (the text
// between its quotes, not copied).
func (p *scan) str() ([]byte, bool) {
	if !p.lit('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != '"' {
		if c := p.b[p.i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
		p.i++
	}
	if p.i == len(p.b) {
		return nil, false
	}
	p.i++
	return p.b[start : p.i-1], true
}

// number passes one JSON number (RFC 8259 grammar).
func (p *scan) number() bool {
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

func (p *scan) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// word passes one literal such as true.
func (p *scan) word(w string) bool {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return false
	}
	p.i += len(w)
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *scan) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// lit skips white space and then one expected byte.
func (p *scan) lit(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}
