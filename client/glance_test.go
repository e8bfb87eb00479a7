package client

import (
	"encoding/json"
	"testing"
	"time"
)

// Each kind of output reads at a glance (the shapes of DESIGN.md's
// contract, as they come back from DynamoDB or an event).
func TestGlance(t *testing.T) {
	cases := []struct {
		name string
		out  string
		want string
	}{
		{"page", `{"lines": [{"text": "Invoice 42"}, {"text": "Total $12.50"}], "line_count": 2, "text": "Invoice 42\nTotal $12.50"}`, "2 lines: Invoice 42 / Total $12.50"},
		{"page summary", `{"truncated": true, "line_count": 40, "text": "Dear customer,\nyour order"}`, "40 lines: Dear customer, / your order"},
		{"text line", `{"text": "Total $12.50", "confidence": 0.987}`, `"Total $12.50" 0.99`},
		{"classification", `{"label": "180", "score": 0.912, "top_k": [{"label": "180", "score": 0.912}]}`, "180 0.91"},
		{"tabular", `{"label": "setosa", "score": 1, "probabilities": {"setosa": 1}}`, "setosa 1.00"},
		{"detection", `{"detections": [{"label": "person", "score": 0.9}, {"label": "dog", "score": 0.75}], "width": 640, "height": 480}`, "2 detections: person 0.90, dog 0.75"},
		{"embedding", `{"embedding": [0.6, 0.8, 0], "dim": 3, "tokens": 5}`, "embedding dim 3, norm 1.000"},
		{"embedding summary", `{"truncated": true, "dim": 384, "tokens": 9}`, "embedding dim 384"},
		{"record file", `{"records": 100, "succeeded": 97, "failed": 3, "errors": {"wrong_feature_count": 2, "empty_input": 1}}`, "100 records: 97 succeeded, 3 failed (empty_input 1, wrong_feature_count 2)"},
		{"entities", `{"entities": [{"entity": "PER"}, {"entity": "LOC"}]}`, "2 entities"},
		{"tensors", `{"outputs": [{"name": "y"}]}`, "1 output tensors"},
		{"other", `{"answer": 42}`, `{"answer":42}`},
	}
	for _, c := range cases {
		var out map[string]any
		if err := json.Unmarshal([]byte(c.out), &out); err != nil {
			t.Fatal(err)
		}
		if got := Glance(out); got != c.want {
			t.Errorf("%s: Glance = %q, want %q", c.name, got, c.want)
		}
	}
}

// An age reads in its largest whole unit; a timestamp that is none reads "-".
func TestAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{42 * time.Second, "42s"},
		{59*time.Minute + 59*time.Second, "59m"},
		{47 * time.Hour, "47h"},
		{72 * time.Hour, "3d"},
	} {
		if got := Age(now.Add(-tc.ago).Format(time.RFC3339Nano), now); got != tc.want {
			t.Errorf("Age(%s ago) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := Age("yesterday", now); got != "-" {
		t.Errorf(`Age("yesterday") = %q, want "-"`, got)
	}
}
