package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanUploads(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.png", "sub/b.jpg", ".git/config", "sub/.DS_Store"} {
		p := filepath.Join(dir, "scans", f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	single := filepath.Join(dir, "one.json")
	if err := os.WriteFile(single, []byte(`{"features": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := PlanUploads([]string{filepath.Join(dir, "scans"), single}, "in/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range got {
		keys = append(keys, f.Key)
	}
	if strings.Join(keys, ",") != "in/a.png,in/one.json,in/sub/b.jpg" || got[0].Size != 5 {
		t.Errorf("planned %v", got)
	}
	if _, err := PlanUploads([]string{filepath.Join(dir, "missing")}, ""); err == nil {
		t.Error("a missing path was accepted")
	}
	for path, want := range map[string]string{single: "application/json", filepath.Join(dir, "scans", "a.png"): "image/png", filepath.Join(dir, "scans", "sub", ".DS_Store"): "text/plain; charset=utf-8"} {
		if got := ContentType(path); got != want {
			t.Errorf("ContentType(%s) = %q, want %q", filepath.Base(path), got, want)
		}
	}
}

func TestReadJobLines(t *testing.T) {
	in := "{\"input\": {\"features\": [1]}}\nnot json\n\n{\"Records\": [], \"input\": {}}\n{\"job_id\": \"x\", \"input\": {\"s3\": \"s3://inbox/k\"}}\n"
	bodies, nos, bad, err := ReadJobLines(strings.NewReader(in), false)
	if err != nil || len(bodies) != 2 || len(bad) != 2 || bad[0].Line != 2 || bad[1].Line != 4 || nos[1] != 5 {
		t.Fatalf("bodies %d %v, bad %v, %v", len(bodies), nos, bad, err)
	}
	if !strings.Contains(bad[0].Error(), "line 2: malformed_job") {
		t.Errorf("bad line error %q", bad[0].Error())
	}
	bodies, _, bad, _ = ReadJobLines(strings.NewReader(in), true)
	if len(bodies) != 1 || len(bad) != 1 {
		t.Errorf("strict: %d bodies, %v", len(bodies), bad)
	}
}
