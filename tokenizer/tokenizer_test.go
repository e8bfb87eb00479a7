package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// realTokenizer is one of the real files as the reference reads them
// (MiniLM with its tokenizer_config.json).
func realTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	return loadTok(t, modelsRoot(t), name)
}

func TestInvalidUTF8IsATypedError(t *testing.T) {
	tok := realTokenizer(t, "minilm")
	for _, tc := range []struct {
		name       string
		text, pair []byte
		field      string
		offset     int
	}{
		{"bad byte in the text", []byte("ab\xffcd"), nil, "text", 2},
		{"truncated sequence at the end", []byte("héllo \xe2\x82"), nil, "text", 7},
		{"bad pair", []byte("fine"), []byte("\xc3\x28"), "text_pair", 0},
		{"surrogate encoded in UTF-8", []byte("x\xed\xa0\x80"), nil, "text", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tok.EncodeBytes(tc.text, tc.pair, Options{})
			var bad *InvalidUTF8Error
			if !errors.As(err, &bad) || !errors.Is(err, ErrInvalidText) {
				t.Fatalf("err = %v, want an *InvalidUTF8Error", err)
			}
			if bad.Field != tc.field || bad.Offset != tc.offset {
				t.Errorf("got %s at %d, want %s at %d", bad.Field, bad.Offset, tc.field, tc.offset)
			}
			if _, err := tok.Encode(string(tc.text), string(tc.pair), Options{}); !errors.Is(err, ErrInvalidText) {
				t.Errorf("Encode accepted invalid UTF-8: %v", err)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	// MiniLM as .cache has it, without tokenizer_config.json: no class, no
	// limit but tokenizer.json's own truncation (128) and padding ([PAD] = 0).
	bare, err := Load(filepath.Join(repoRoot(t), ".cache", "tokenizers", "minilm"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bare.Info(), (Info{TruncationMaxLength: 128, AddsSpecialTokens: true, VocabSize: 30522}); got != want {
		t.Errorf("minilm without a config: %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name string
		want Info
	}{
		{"minilm", Info{ModelMaxLength: 512, TruncationMaxLength: 128, PadID: 0, ReturnsTypeIDs: true, AddsSpecialTokens: true,
			Class: "BertTokenizer", VocabSize: 30522}},
		{"qwen3", Info{ModelMaxLength: 131072, PadID: 151643, Class: "Qwen2Tokenizer", VocabSize: 151669}},
		// Llama 2: model_max_length 1e30 is no limit; no pad token, so eos (</s> = 2).
		{"llama2", Info{PadID: 2, AddsSpecialTokens: true, Class: "LlamaTokenizer", VocabSize: 32000}},
	} {
		if got := realTokenizer(t, tc.name).Info(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.json"), "reading the tokenizer"},
		{"not JSON", write("a.json", "{"), "reading tokenizer.json"},
		{"no model", write("b.json", `{"added_tokens": []}`), "has no model"},
		{"unknown model", write("c.json", `{"model": {"type": "Magic"}}`), `unsupported model type "Magic"`},
		{"unknown normalizer", write("d.json", `{"normalizer": {"type": "Rot13"}, "model": {"type": "WordPiece", "vocab": {}}}`), `unsupported normalizer "Rot13"`},
		{"bad regex", write("e.json", `{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "[a"}, "behavior": "Isolated"}, "model": {"type": "WordPiece", "vocab": {}}}`), "Split pre-tokenizer"},
	} {
		if _, err := Load(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestConcurrentEncode shares one tokenizer (and its BPE cache) between
// goroutines, as the text codecs do; run with -race it checks the locking.
func TestConcurrentEncode(t *testing.T) {
	tok := realTokenizer(t, "llama2")
	want := make([][]int, len(corpus))
	for i, text := range corpus {
		e, err := tok.Encode(text, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = e.IDs
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range len(corpus) * 3 {
				i := (k + g*5) % len(corpus)
				e, err := tok.Encode(corpus[i], "", Options{})
				if err != nil || !slices.Equal(e.IDs, want[i]) {
					t.Errorf("goroutine %d, text %d: %v %v", g, i, err, e.IDs)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestEncodeBatchIsEncodeForEach(t *testing.T) {
	tok := realTokenizer(t, "minilm")
	var in []Input
	for i, text := range corpus {
		in = append(in, Input{Text: []byte(text), Pair: []byte(corpus[(i+3)%len(corpus)])})
	}
	in = append(in, Input{Text: []byte("bad \xff")})
	for len(in) < 100 {
		in = append(in, in[len(in)%len(corpus)])
	}
	encs, errs := tok.EncodeBatch(in, Options{MaxLength: 64})
	for i, x := range in {
		want, werr := tok.EncodeBytes(x.Text, x.Pair, Options{MaxLength: 64})
		if (werr == nil) != (errs[i] == nil) || !slices.Equal(encs[i].IDs, want.IDs) || !slices.Equal(encs[i].Offsets, want.Offsets) {
			t.Errorf("input %d: batch gave %v %v, alone %v %v", i, encs[i].IDs, errs[i], want.IDs, werr)
		}
	}
	if !errors.Is(errs[len(corpus)], ErrInvalidText) {
		t.Errorf("the bad input's error: %v", errs[len(corpus)])
	}
}
