package worker

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSummarizeKeepsCountsAndTheStartOfText(t *testing.T) {
	var lines []any
	var texts []string
	for i := range 200 {
		l := strings.Repeat("é line ", 3) + string(rune('A'+i%26))
		lines = append(lines, map[string]any{"text": l, "box": []any{0, i * 20, 300, i*20 + 18}})
		texts = append(texts, l)
	}
	text := strings.Join(texts, "\n")
	out := map[string]any{"lines": lines, "line_count": len(lines), "text": text}
	sum := summarize(out, maxSummaryBytes)
	b, _ := json.Marshal(sum)
	got, _ := sum["text"].(string)
	if len(b) > maxSummaryBytes || sum["truncated"] != true || sum["line_count"] != 200 || sum["lines"] != nil {
		t.Fatalf("summary of %d bytes: keys %v", len(b), keys(sum))
	}
	if len(got) < maxSummaryBytes/2 || !strings.HasPrefix(text, got) {
		t.Fatalf("text kept %d bytes, want most of the %d-byte budget as a prefix of the text", len(got), maxSummaryBytes)
	}
	small := map[string]any{"text": "hi", "line_count": 1}
	if s := summarize(small, maxSummaryBytes); s["truncated"] != nil || s["text"] != "hi" {
		t.Fatalf("a small output was changed: %v", s)
	}
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}
