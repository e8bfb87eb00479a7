package metrics

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// Spec limits (CloudWatch EMF specification).
const (
	MaxValues     = 100 // numbers in one metric's values array
	MaxMetrics    = 100 // MetricDefinitions in one directive
	MaxDimensions = 30  // keys in one dimension set
)

// Units of the metrics the worker writes; a name not listed (a phase
// other than fetch, infer, store) ends in "Ms" and is Milliseconds.
var units = map[string]string{
	"JobsSucceeded": "Count", "JobsFailed": "Count", "JobsRetried": "Count", "JobsSkipped": "Count",
	"Errors": "Count", "Retries": "Count", "Records": "Count", "ReusedResults": "Count", "BatchSize": "Count", "ColdStart": "Count",
	"BatchFill": "Percent", "PaddingWaste": "Percent",
	"GBSeconds": "None", "RequestCostUSD": "None", "EstimatedCostUSD": "None", "CostPer1kInferencesUSD": "None",
}

func unitOf(name string) string {
	if u, ok := units[name]; ok {
		return u
	}
	if strings.HasSuffix(name, "Ms") {
		return "Milliseconds"
	}
	return "None"
}

// entry is one metric member of a document: a number or a values array.
type entry struct {
	name  string
	value any
}

// render appends s's documents to buf. The first carries every counter and
// the first MaxValues samples of each array; further documents carry the
// rest of the long arrays, so no array passes the spec's limit and no
// counter is written twice. extra is one more dimension (key, value).
func (inv *Invocation) render(buf []byte, ts time.Time, extra []string, s *set) []byte {
	for part := 0; ; part++ {
		var entries []entry
		if part == 0 {
			for _, name := range slices.Sorted(maps.Keys(s.sums)) {
				entries = append(entries, entry{name, s.sums[name]})
			}
		}
		more := false
		for _, name := range slices.Sorted(maps.Keys(s.samples)) {
			vs := s.samples[name]
			lo := part * MaxValues
			if lo >= len(vs) {
				continue
			}
			hi := min(lo+MaxValues, len(vs))
			more = more || hi < len(vs)
			entries = append(entries, entry{name, vs[lo:hi]})
		}
		for len(entries) > 0 {
			n := min(len(entries), MaxMetrics)
			buf = inv.document(buf, ts, extra, entries[:n])
			entries = entries[n:]
		}
		if !more {
			return buf
		}
	}
}

// document appends one EMF document (a JSON line): _aws first, for people
// reading logs, then the dimensions, the metrics and a few properties.
func (inv *Invocation) document(buf []byte, ts time.Time, extra []string, entries []entry) []byte {
	o := inv.opts
	dims := [][2]string{{DimFunction, o.Function}}
	if o.Mode == ModePoll {
		dims = append(dims, [2]string{DimMode, ModePoll})
	}
	if extra != nil {
		dims = append(dims, [2]string{extra[0], extra[1]})
	}
	type def struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	defs := make([]def, len(entries))
	for i, e := range entries {
		defs[i] = def{e.name, unitOf(e.name)}
	}
	keys := make([]string, len(dims))
	for i, d := range dims {
		keys[i] = d[0]
	}
	meta := map[string]any{
		"Timestamp": ts.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace": o.Namespace, "Dimensions": [][]string{keys}, "Metrics": defs,
		}},
	}
	buf = append(buf, `{"_aws":`...)
	buf = appendJSON(buf, meta)
	for _, d := range dims {
		buf = appendMember(buf, d[0], d[1])
	}
	for _, e := range entries {
		buf = appendMember(buf, e.name, e.value)
	}
	// Properties, not metrics: they let a reader of the logs (and
	// `batchinfer stats`) know how the cost was worked out.
	if o.Mode != ModePoll {
		buf = appendMember(buf, DimMode, o.Mode)
	}
	buf = appendMember(buf, "arch", o.Arch)
	buf = appendMember(buf, "memory_mb", o.MemoryMB)
	buf = appendMember(buf, "price_table", o.Prices.Region+" "+o.Prices.Date)
	return append(buf, "}\n"...)
}

func appendMember(buf []byte, key string, v any) []byte {
	buf = append(buf, ',')
	buf = appendJSON(buf, key)
	buf = append(buf, ':')
	return appendJSON(buf, v)
}

// appendJSON encodes values the package built itself (strings, finite
// numbers, maps and slices of them), which cannot fail to encode.
func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("metrics: encode " + err.Error())
	}
	return append(buf, b...)
}
