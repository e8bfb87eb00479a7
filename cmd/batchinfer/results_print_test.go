package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

func TestResultsTable(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	recs := []*store.Record{
		{JobID: "ok", Input: "inline", Status: "SUCCEEDED", Model: "iris-rf", ModelVersion: "1", Output: map[string]any{"label": "setosa", "score": 0.97}, UpdatedAt: now.Add(-90 * time.Second).Format(time.RFC3339)},
		{JobID: "bad", Input: "s3://inbox/a.json", Status: "FAILED", Model: "iris-rf", Error: &store.ErrorInfo{Code: "wrong_feature_count", Message: "wrong_feature_count: want 4"}, UpdatedAt: now.Add(-3 * time.Hour).Format(time.RFC3339)},
		{JobID: "big", Input: "s3://inbox/scans/page.png", Status: "SUCCEEDED", OutputURI: "s3://r/big.json", UpdatedAt: now.Add(-72 * time.Hour).Format(time.RFC3339)},
		nil,
	}
	var b bytes.Buffer
	if err := printTable(&b, recs, []string{"ok", "bad", "big", "gone"}, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := [][]string{
		{"JOB", "INPUT", "STATUS", "MODEL", "RESULT", "AGE"},
		{"ok", "inline", "SUCCEEDED", "iris-rf@1", "setosa", "0.97", "1m"},
		{"bad", "s3://inbox/a.json", "FAILED", "iris-rf", "wrong_feature_count:", "want", "4", "3h"},
		{"big", "s3://inbox/scans/page.png", "SUCCEEDED", "-", "s3://r/big.json", "3d"},
		{"gone", "-", "NOT_FOUND", "-", "-", "-"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
}

// Each kind of output reads at a glance (the shapes of DESIGN.md's
// contract, as they come back from DynamoDB or an event).
func TestShortResult(t *testing.T) {
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
		if got := shortResult(out); got != c.want {
			t.Errorf("%s: shortResult = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	s := client.Summary{ByStatus: map[string]int{"SUCCEEDED": 3, "FAILED": 2}, ByCode: map[string]int{"input_missing": 1, "empty_input": 1}, Missing: 1}
	if got := summaryLine(s); got != "summary: SUCCEEDED 3, FAILED 2, not started 1 (errors: empty_input 1, input_missing 1)" {
		t.Errorf("summaryLine = %q", got)
	}
}
