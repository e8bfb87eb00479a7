package client

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Glance is one output read at a glance, by what it holds: a page's
// or a line's text, a label and its score, a count of detections or
// entities, an embedding's dimension, a record file's counts; compact JSON
// for anything else.
func Glance(out map[string]any) string {
	switch {
	case out == nil:
		return "-"
	case out["records"] != nil:
		return recordCounts(out)
	case out["lines"] != nil || out["line_count"] != nil || out["pages"] != nil:
		return pageText(out)
	case out["text"] != nil:
		return fmt.Sprintf("%q%s", out["text"], score(out["confidence"]))
	case out["detections"] != nil:
		return detections(out["detections"])
	case out["label"] != nil:
		return fmt.Sprint(out["label"]) + score(out["score"])
	case out["embedding"] != nil || out["dim"] != nil:
		return embedding(out)
	case out["entities"] != nil:
		return fmt.Sprintf("%d entities", count(out["entities"]))
	case out["outputs"] != nil:
		return fmt.Sprintf("%d output tensors", count(out["outputs"]))
	}
	b, _ := json.Marshal(out) // read from JSON: always encodes
	return string(b)
}

// pageText is a page's line count and its text on one line.
func pageText(out map[string]any) string {
	n, ok := number(out["line_count"])
	if !ok {
		n = float64(count(out["lines"]))
	}
	text, _ := out["text"].(string)
	s := fmt.Sprintf("%d lines", int(n))
	if out["pages"] != nil {
		s = fmt.Sprintf("%d pages, %s", count(out["pages"]), s)
	}
	if text = strings.Join(strings.Fields(strings.ReplaceAll(text, "\n", " / ")), " "); text != "" {
		s += ": " + text
	}
	return s
}

func detections(v any) string {
	ds, _ := v.([]any)
	s := fmt.Sprintf("%d detections", len(ds))
	var labels []string
	for _, d := range ds {
		if m, ok := d.(map[string]any); ok && len(labels) < 3 {
			labels = append(labels, fmt.Sprint(m["label"])+score(m["score"]))
		}
	}
	if len(labels) > 0 {
		s += ": " + strings.Join(labels, ", ")
	}
	return s
}

func embedding(out map[string]any) string {
	dim, ok := number(out["dim"])
	vec, _ := out["embedding"].([]any)
	if !ok {
		dim = float64(len(vec))
	}
	s := fmt.Sprintf("embedding dim %d", int(dim))
	if len(vec) > 0 {
		var sq float64
		for _, x := range vec {
			f, _ := number(x)
			sq += f * f
		}
		s += fmt.Sprintf(", norm %.3f", math.Sqrt(sq))
	}
	return s
}

// recordCounts is a record file's {"records", "succeeded", "failed", "errors"}.
func recordCounts(out map[string]any) string {
	recs, _ := number(out["records"])
	ok, _ := number(out["succeeded"])
	bad, _ := number(out["failed"])
	s := fmt.Sprintf("%d records: %d succeeded, %d failed", int(recs), int(ok), int(bad))
	if errs, _ := out["errors"].(map[string]any); len(errs) > 0 {
		codes := make([]string, 0, len(errs))
		for c, n := range errs {
			codes = append(codes, fmt.Sprintf("%s %v", c, n))
		}
		sort.Strings(codes)
		s += " (" + strings.Join(codes, ", ") + ")"
	}
	return s
}

func score(v any) string {
	if f, ok := number(v); ok {
		return fmt.Sprintf(" %.2f", f)
	}
	return ""
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func count(v any) int {
	l, _ := v.([]any)
	return len(l)
}

// ShortInput is where a job's input came from, its key's end kept.
func ShortInput(in string, width int) string {
	if in == "" {
		return "-"
	}
	if r := []rune(in); len(r) > width {
		return "…" + string(r[len(r)-width+1:])
	}
	return in
}

// Age is how long ago ts (RFC 3339) was, in its largest whole unit: what
// `results` and the console show beside a job; "-" when ts is no time.
func Age(ts string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return "-"
	}
	switch d := now.Sub(t); {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
