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

// A large embedding's summary says it is a summary, whatever the text's
// own truncated flag.
func TestSummaryOfAnEmbeddingIsMarked(t *testing.T) {
	emb := make([]float32, 1024)
	for i := range emb {
		emb[i] = 0.123456789
	}
	sum := summarize(map[string]any{"embedding": emb, "dim": 1024, "num_tokens": 12, "truncated": false}, maxSummaryBytes)
	if sum["truncated"] != true || sum["embedding"] != nil || sum["dim"] != 1024 || sum["num_tokens"] != 12 {
		t.Fatalf("summary %v", sum)
	}
}
