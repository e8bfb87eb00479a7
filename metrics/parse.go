package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Doc is one EMF document read back from a log.
type Doc struct {
	Line      int // 1-based line number in the log
	Timestamp time.Time
	Namespace string
	// Dimensions maps each key of the document's dimension sets to its value.
	Dimensions map[string]string
	Units      map[string]string    // metric name → unit
	Values     map[string][]float64 // metric name → its values (one for a plain number)
	Props      map[string]any       // the other root members (mode, arch...)
}

// Scope is which of the worker's dimension sets a document is on.
type Scope int

const (
	ScopeFunction Scope = iota // {function} (and mode in poll mode)
	ScopeModel                 // {function, model}
	ScopeError                 // {function, error_code}
)

// Scope tells the document's dimension set apart: sums of a metric are only
// meaningful within one scope (JobsSucceeded is on both function and model
// documents).
func (d Doc) Scope() Scope {
	switch {
	case d.Dimensions[DimErrorCode] != "":
		return ScopeError
	case d.Dimensions[DimModel] != "":
		return ScopeModel
	}
	return ScopeFunction
}

// Sum adds the document's values of one metric (0 if it has none).
func (d Doc) Sum(name string) float64 {
	var s float64
	for _, v := range d.Values[name] {
		s += v
	}
	return s
}

// maxLine bounds one log line: a CloudWatch Logs event is at most 1 MiB.
const maxLine = MaxDocumentBytes + 4096

// Parse reads log lines (the worker's JSON logs, EMF documents among them,
// possibly after a prefix such as a timestamp and request id) and returns
// every EMF document, each checked with Validate. Lines that are not EMF
// documents are skipped; the first line that is one but fails validation
// is an error naming the line, so a test can fail on it.
func Parse(r io.Reader) ([]Doc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	var docs []Doc
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"_aws"`)) {
			continue
		}
		start := bytes.IndexByte(line, '{')
		if start < 0 {
			continue
		}
		obj := bytes.TrimSpace(line[start:])
		if err := Validate(obj); err != nil {
			return docs, fmt.Errorf("line %d: %w", n, err)
		}
		d, err := decodeDoc(obj)
		if err != nil {
			return docs, fmt.Errorf("line %d: %w", n, err)
		}
		d.Line = n
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return docs, fmt.Errorf("read log: %w", err)
	}
	return docs, nil
}

// decodeDoc reads a document Validate accepted.
func decodeDoc(obj []byte) (Doc, error) {
	var raw struct {
		AWS struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct{ Name, Unit string }
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(obj, &raw); err != nil {
		return Doc{}, fmt.Errorf("emf: %w", err)
	}
	root, err := decodeObject(obj)
	if err != nil {
		return Doc{}, fmt.Errorf("emf: %w", err)
	}
	delete(root, "_aws")
	d := Doc{
		Timestamp:  time.UnixMilli(raw.AWS.Timestamp).UTC(),
		Namespace:  raw.AWS.CloudWatchMetrics[0].Namespace,
		Dimensions: map[string]string{}, Units: map[string]string{}, Values: map[string][]float64{},
	}
	for _, dir := range raw.AWS.CloudWatchMetrics {
		for _, set := range dir.Dimensions {
			for _, k := range set {
				d.Dimensions[k] = root[k].(string)
				delete(root, k)
			}
		}
		for _, m := range dir.Metrics {
			d.Units[m.Name] = m.Unit
			d.Values[m.Name] = numbers(root[m.Name])
			delete(root, m.Name)
		}
	}
	d.Props = root
	return d, nil
}

// numbers turns a validated metric member into its values.
func numbers(v any) []float64 {
	var out []float64
	add := func(x any) {
		if n, ok := x.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				out = append(out, f)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			add(x)
		}
	} else {
		add(v)
	}
	return out
}

// FilterPattern is a CloudWatch Logs filter pattern matching the EMF
// documents of one namespace, so a log group's other lines are left at the
// service (FilterLogEvents, `aws logs tail --filter-pattern`).
func FilterPattern(namespace string) string {
	return fmt.Sprintf(`{ $._aws.CloudWatchMetrics[0].Namespace = %q }`, namespace)
}
