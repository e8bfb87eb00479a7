package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
)

// predict --model ppocr-page reads pages, and --stats tells how its stages
// ran across them.
func TestPredictPagesWithStats(t *testing.T) {
	dir := t.TempDir()
	var files []string
	pages := textimg.Pages(2, 5)
	for _, p := range pages {
		f := filepath.Join(dir, p.Name)
		if err := os.WriteFile(f, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	code, out, stderr := cli(t, "", append([]string{"predict", "--stats", "--model", testenv.ModelDir(t, "ppocr-page")}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res := lines(t, out)
	for i, p := range pages {
		o, _ := res[i]["output"].(map[string]any)
		if n, _ := o["line_count"].(float64); int(n) != len(p.Lines) || !strings.Contains(o["text"].(string), p.Lines[0].Text) {
			t.Errorf("%s: output %v, want its %d lines", p.Name, o, len(p.Lines))
		}
	}
	var st predictStats
	if err := json.Unmarshal([]byte(strings.TrimSpace(stderr)), &st); err != nil {
		t.Fatalf("stats line %q: %v", stderr, err)
	}
	rows := len(pages[0].Lines) + len(pages[1].Lines)
	if st.Inputs != 2 || len(st.Stages) != 3 || st.Stages[0]["rows"] != 2.0 || st.Stages[2]["rows"] != float64(rows) || st.Phases["crop"] <= 0 {
		t.Errorf("stats %+v, want 3 stages over 2 pages and %d lines", st, rows)
	}
}
