package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// validUnits are the CloudWatch units (MetricDatum.Unit).
var validUnits = map[string]bool{}

func init() {
	for _, u := range []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
		"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
		"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
		"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
		"Count/Second", "None"} {
		validUnits[u] = true
	}
}

// MaxDocumentBytes is a CloudWatch Logs event's (and so an EMF document's) size limit.
const MaxDocumentBytes = 1 << 20

// Validate checks one log line against the EMF specification: a JSON
// object with _aws.Timestamp (integer epoch milliseconds) and
// _aws.CloudWatchMetrics, a non-empty array of directives, each with a
// Namespace, Dimensions (sets of at most 30 keys, each key a string member
// of the root) and Metrics (at most 100, each Name a root member holding a
// number or an array of at most 100 numbers, Unit a CloudWatch unit).
// Members the specification does not define are refused where it says
// objects MUST NOT have them.
func Validate(doc []byte) error {
	if len(doc) > MaxDocumentBytes {
		return fmt.Errorf("emf: document of %d bytes is over the %d-byte log event limit", len(doc), MaxDocumentBytes)
	}
	root, err := decodeObject(doc)
	if err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		return errors.New("emf: _aws is missing or not an object")
	}
	for k := range aws {
		if k != "Timestamp" && k != "CloudWatchMetrics" && k != "LogGroupName" && k != "LogStreamName" {
			return fmt.Errorf("emf: _aws has a member %q the specification does not define", k)
		}
	}
	if err := checkTimestamp(aws["Timestamp"]); err != nil {
		return err
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		return errors.New("emf: _aws.CloudWatchMetrics is missing or not a non-empty array")
	}
	for i, d := range dirs {
		if err := checkDirective(root, d); err != nil {
			return fmt.Errorf("emf: CloudWatchMetrics[%d]: %w", i, err)
		}
	}
	return nil
}

// decodeObject decodes one JSON object, numbers kept as json.Number so an
// integer can be told from a float, with nothing after it.
func decodeObject(doc []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if root == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	return root, nil
}

// checkTimestamp wants integer epoch milliseconds; a plausible range (years
// 2000 to 2200) catches seconds or nanoseconds written by mistake.
func checkTimestamp(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return errors.New("emf: _aws.Timestamp is missing or not a number")
	}
	ts, err := n.Int64()
	if err != nil {
		return fmt.Errorf("emf: _aws.Timestamp %s is not an integer", n)
	}
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	hi := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	if ts < lo || ts > hi {
		return fmt.Errorf("emf: _aws.Timestamp %d is not epoch milliseconds", ts)
	}
	return nil
}

func checkDirective(root map[string]any, v any) error {
	d, ok := v.(map[string]any)
	if !ok {
		return errors.New("not an object")
	}
	for k := range d {
		if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
			return fmt.Errorf("member %q the specification does not define", k)
		}
	}
	if err := checkName("Namespace", d["Namespace"]); err != nil {
		return err
	}
	sets, ok := d["Dimensions"].([]any)
	if !ok || len(sets) == 0 {
		return errors.New("Dimensions is missing or not a non-empty array of dimension sets")
	}
	dimKeys := map[string]bool{}
	for i, s := range sets {
		keys, ok := s.([]any)
		if !ok {
			return fmt.Errorf("Dimensions[%d] is not an array", i)
		}
		if len(keys) > MaxDimensions {
			return fmt.Errorf("Dimensions[%d] has %d keys, more than %d", i, len(keys), MaxDimensions)
		}
		for _, k := range keys {
			if err := checkName("dimension key", k); err != nil {
				return fmt.Errorf("Dimensions[%d]: %w", i, err)
			}
			key := k.(string)
			if _, ok := root[key].(string); !ok {
				return fmt.Errorf("dimension %q is not a string member of the root", key)
			}
			dimKeys[key] = true
		}
	}
	return checkMetrics(root, d["Metrics"], dimKeys)
}

func checkMetrics(root map[string]any, v any, dimKeys map[string]bool) error {
	defs, ok := v.([]any)
	if !ok {
		return errors.New("Metrics is missing or not an array")
	}
	if len(defs) > MaxMetrics {
		return fmt.Errorf("Metrics has %d definitions, more than %d", len(defs), MaxMetrics)
	}
	seen := map[string]bool{}
	for i, m := range defs {
		def, ok := m.(map[string]any)
		if !ok {
			return fmt.Errorf("Metrics[%d] is not an object", i)
		}
		for k := range def {
			if k != "Name" && k != "Unit" && k != "StorageResolution" {
				return fmt.Errorf("Metrics[%d] has a member %q the specification does not define", i, k)
			}
		}
		if err := checkName("metric Name", def["Name"]); err != nil {
			return fmt.Errorf("Metrics[%d]: %w", i, err)
		}
		name := def["Name"].(string)
		if seen[name] || dimKeys[name] {
			return fmt.Errorf("metric %q is defined twice or is also a dimension", name)
		}
		seen[name] = true
		if u, ok := def["Unit"]; ok {
			if s, _ := u.(string); !validUnits[s] {
				return fmt.Errorf("metric %q: unit %v is not a CloudWatch unit", name, u)
			}
		}
		if r, ok := def["StorageResolution"]; ok && r != json.Number("1") && r != json.Number("60") {
			return fmt.Errorf("metric %q: StorageResolution %v is neither 1 nor 60", name, r)
		}
		if err := checkValue(name, root[name]); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(name string, v any) error {
	switch x := v.(type) {
	case json.Number:
		return nil
	case []any:
		if len(x) > MaxValues {
			return fmt.Errorf("metric %q has %d values, more than %d", name, len(x), MaxValues)
		}
		for _, e := range x {
			if _, ok := e.(json.Number); !ok {
				return fmt.Errorf("metric %q: value %v is not a number", name, e)
			}
		}
		return nil
	case nil:
		return fmt.Errorf("metric %q has no member on the root", name)
	default:
		return fmt.Errorf("metric %q: %v is neither a number nor an array of numbers", name, v)
	}
}

// checkName wants a string of 1 to 255 characters.
func checkName(what string, v any) error {
	s, ok := v.(string)
	if !ok || s == "" || len(s) > 255 {
		return fmt.Errorf("%s %v is not a string of 1 to 255 characters", what, v)
	}
	return nil
}
