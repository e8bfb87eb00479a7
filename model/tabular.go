package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// tabularCodec reads {"features": [5.1, 3.5, 1.4, 0.2]} or
// {"features": {"sepal_length": 5.1, ...}} into one [F] row.
//
// JSON cannot hold NaN or Infinity as numbers, so non-finite values arrive
// as strings ("NaN", "Infinity", "-Infinity", "inf") or as numbers too large
// for float32 (1e39): both are non_finite_feature. Any other string is
// invalid_features: numbers in strings are not accepted.
type tabularCodec struct {
	names []string
	index map[string]int
}

func newTabularCodec(m Manifest) (*tabularCodec, error) {
	in := m.Inputs[0].Shape
	if len(in) != 2 || in[1] < 1 {
		return nil, fmt.Errorf("preprocess.kind tabular needs inputs[0].shape [-1,F], manifest says %v", in)
	}
	names := m.Preprocess.Features
	if len(names) != 0 && int64(len(names)) != in[1] {
		return nil, fmt.Errorf("preprocess.features lists %d names but inputs[0].shape[1] is %d", len(names), in[1])
	}
	c := &tabularCodec{names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := c.index[n]; dup {
			return nil, fmt.Errorf("preprocess.features names %q twice", n)
		}
		c.index[n] = i
	}
	if len(names) == 0 {
		c.names = make([]string, in[1]) // positional only
	}
	return c, nil
}

func (c *tabularCodec) preprocess(data []byte) (Tensor, error) {
	row := make([]float32, len(c.names))
	if fastFeatureList(data, row) {
		return Tensor{Shape: []int64{int64(len(row))}, Data: row}, nil
	}
	return c.parse(data, row)
}

// parse is the general path: any layout encoding/json accepts, and the
// error for everything the fast path leaves to it.
func (c *tabularCodec) parse(data []byte, row []float32) (Tensor, error) {
	var doc struct {
		Features json.RawMessage `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return Tensor{}, inputErrorf(codeInvalidFeatures, `not a JSON object {"features": ...}: %v`, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Tensor{}, inputErrorf(codeInvalidFeatures, "trailing data after the JSON object")
	}
	raw := bytes.TrimSpace(doc.Features)
	F := len(row)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return Tensor{}, inputErrorf(codeInvalidFeatures, `no "features" in the JSON object`)
	case raw[0] == '[':
		var vals []json.RawMessage
		if err := json.Unmarshal(raw, &vals); err != nil {
			return Tensor{}, inputErrorf(codeInvalidFeatures, "features: %v", err)
		}
		if len(vals) != F {
			return Tensor{}, inputErrorf(codeWrongFeatureCount, "got %d features; the model wants %d", len(vals), F)
		}
		for i, v := range vals {
			x, err := parseFeature(v)
			if err != nil {
				err.Message = fmt.Sprintf("features[%d]: %s", i, err.Message)
				return Tensor{}, err
			}
			row[i] = x
		}
	case raw[0] == '{':
		if len(c.index) == 0 {
			return Tensor{}, inputErrorf(codeInvalidFeatures, "this model takes features as a list of %d numbers; it has no feature names", F)
		}
		var vals map[string]json.RawMessage
		if err := json.Unmarshal(raw, &vals); err != nil {
			return Tensor{}, inputErrorf(codeInvalidFeatures, "features: %v", err)
		}
		for name := range vals {
			if _, ok := c.index[name]; !ok {
				return Tensor{}, inputErrorf(codeInvalidFeatures, "unknown feature %q; the model takes %s", name, strings.Join(c.names, ", "))
			}
		}
		for i, name := range c.names {
			v, ok := vals[name]
			if !ok {
				return Tensor{}, inputErrorf(codeWrongFeatureCount, "got %d features, missing %q; the model wants %s", len(vals), name, strings.Join(c.names, ", "))
			}
			x, err := parseFeature(v)
			if err != nil {
				err.Message = fmt.Sprintf("features.%s: %s", name, err.Message)
				return Tensor{}, err
			}
			row[i] = x
		}
	default:
		return Tensor{}, inputErrorf(codeInvalidFeatures, "features must be a list or an object, got %s", jsonKind(raw))
	}
	return Tensor{Shape: []int64{int64(F)}, Data: row}, nil
}

func parseFeature(v json.RawMessage) (float32, *InputError) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, inputErrorf(codeInvalidFeatures, "%v", err)
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity":
			return 0, inputErrorf(codeNonFiniteFeature, "NaN or ±Infinity is not a finite number")
		}
		return 0, inputErrorf(codeInvalidFeatures, "a string where a number belongs; send a number")
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, inputErrorf(codeInvalidFeatures, "%s is not a number", jsonKind(v))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, inputErrorf(codeInvalidFeatures, "a value is not a number")
	}
	x := float32(f)
	if math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) {
		return 0, inputErrorf(codeNonFiniteFeature, "a value does not fit a finite float32")
	}
	return x, nil
}

// jsonKind names a JSON value's kind for error messages, which must not
// carry payload contents.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '[':
		return "a list"
	case '{':
		return "an object"
	}
	return "a number"
}
