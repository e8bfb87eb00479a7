package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/tokenizer"
)

func TestTokenizePrintsWhatTheModelSees(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(testenv.CacheDir(), "tokenizers", "minilm", "tokenizer.json")
	if err := os.Symlink(src, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	cfg := `{"tokenizer_class": "BertTokenizer", "model_max_length": 512}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := "Héllo, wörld!\n{\"text\": \"Who?\", \"text_pair\": \"Me.\"}\nbad \xff byte\n{\"text\": 3}\none two three four five six\n" +
		`{"text": "lone \ud800 surrogate"}` + "\n" + `{"features": [1, 2]}` + "\n"
	code, out, stderr := cli(t, in, "tokenize", "--model", dir, "--max-length", "6", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := lines(t, out)
	if len(got) != 7 {
		t.Fatalf("want 7 lines, got %d:\n%s", len(got), out)
	}
	want, _ := tok.Encode("Héllo, wörld!", "", tokenizer.Options{MaxLength: 6})
	if ids := ints(got[0]["input_ids"]); !slices.Equal(ids, want.IDs) {
		t.Errorf("ids %v, want %v", ids, want.IDs)
	}
	if got[0]["tokens"].([]any)[1] != "hello" {
		t.Errorf("tokens %v", got[0]["tokens"])
	}
	if types := ints(got[1]["token_type_ids"]); !slices.Equal(types, []int{0, 0, 0, 0, 1, 1}) {
		t.Errorf("pair type ids %v", types)
	}
	if got[1]["truncated"] != true || got[0]["truncated"] != false {
		t.Errorf("truncated: %v %v", got[0]["truncated"], got[1]["truncated"])
	}
	if errCode(got[2]) != "invalid_text" || errCode(got[3]) != "malformed_job" {
		t.Errorf("error lines: %v %v", got[2], got[3])
	}
	if len(ints(got[4]["input_ids"])) != 6 || got[4]["truncated"] != true {
		t.Errorf("long line not cut to 6: %v", got[4])
	}
	if errCode(got[5]) != "invalid_text" || errCode(got[6]) != "malformed_job" {
		t.Errorf("a lone surrogate and a line without text: %v %v", got[5], got[6])
	}
}

func ints(v any) []int {
	var out []int
	for _, x := range v.([]any) {
		out = append(out, int(x.(float64)))
	}
	return out
}
