package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

// testNow is the fixed clock of the tests that print ages and times.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestResultsTable(t *testing.T) {
	recs := []*store.Record{
		{JobID: "ok", Input: "inline", Status: "SUCCEEDED", Model: "iris-rf", ModelVersion: "1", Output: map[string]any{"label": "setosa", "score": 0.97}, UpdatedAt: testNow.Add(-90 * time.Second).Format(time.RFC3339)},
		{JobID: "bad", Input: "s3://inbox/a.json", Status: "FAILED", Model: "iris-rf", Error: &store.ErrorInfo{Code: "wrong_feature_count", Message: "wrong_feature_count: want 4"}, UpdatedAt: testNow.Add(-3 * time.Hour).Format(time.RFC3339)},
		{JobID: "big", Input: "s3://inbox/scans/page.png", Status: "SUCCEEDED", OutputURI: "s3://r/big.json", UpdatedAt: testNow.Add(-72 * time.Hour).Format(time.RFC3339)},
		nil,
	}
	var b bytes.Buffer
	if err := printTable(&b, recs, []string{"ok", "bad", "big", "gone"}, testNow); err != nil {
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

func TestSummaryLine(t *testing.T) {
	s := client.Summary{ByStatus: map[string]int{"SUCCEEDED": 3, "FAILED": 2}, ByCode: map[string]int{"input_missing": 1, "empty_input": 1}, Missing: 1}
	if got := summaryLine(s); got != "summary: SUCCEEDED 3, FAILED 2, not started 1 (errors: empty_input 1, input_missing 1)" {
		t.Errorf("summaryLine = %q", got)
	}
}
