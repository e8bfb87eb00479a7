package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/internal/textmodels"
	"github.com/batchinfer/batchinfer/tensor"
)

// textModel is a generated Hugging Face export loaded by Load, as the
// worker loads it: no manifest of ours, or one that only overrides.
type textModel struct {
	m     *Model
	codec *textCodec
	dir   string // the export itself, for the reference
}

// loadTextModel loads textmodels' NAME; overrides, when given, are written
// as a manifest.json beside the export's files (symlinked into a folder of
// the test's).
func loadTextModel(t testing.TB, name string, overrides map[string]any) *textModel {
	t.Helper()
	src := textmodels.Dir(t, name)
	dir := src
	if overrides != nil {
		dir = overlay(t, name, overrides)
	}
	m := loadDir(t, dir)
	codec, ok := m.codec.(*textCodec)
	if !ok {
		t.Fatalf("%s: codec %T, want the text codec", name, m.codec)
	}
	return &textModel{m: m, codec: codec, dir: src}
}

// overlay is a folder of the test's holding export NAME's files
// (symlinked) and a manifest.json of overrides.
func overlay(t testing.TB, name string, overrides map[string]any) string {
	t.Helper()
	src := textmodels.Dir(t, name)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := json.Marshal(overrides)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// predict preprocesses texts, packs them by length (4 rows a run at most,
// so several packs of mixed lengths run) and postprocesses each row, as
// the engine does.
func (tm *textModel) predict(t testing.TB, texts []string) ([]*TextRow, []map[string]any) {
	t.Helper()
	in := make([]Input, len(texts))
	for i, s := range texts {
		in[i] = Input{Text: &Text{Text: s}}
	}
	return tm.predictInputs(t, in)
}

func (tm *textModel) predictInputs(t testing.TB, inputs []Input) ([]*TextRow, []map[string]any) {
	t.Helper()
	rows := make([]Row, len(inputs))
	packRows := make([]batching.Row, len(inputs))
	states := make([]*TextRow, len(inputs))
	for i, in := range inputs {
		r, err := tm.m.PreprocessInput(in)
		if err != nil {
			t.Fatalf("preprocess %+v: %v", in.Text, err)
		}
		rows[i], packRows[i], states[i] = r[0], batching.Row(r[0].Inputs), r[0].State.(*TextRow)
	}
	lim := batching.Limits{MaxBatch: 4, PadValues: tm.m.PadValues(), MaxTokens: tm.m.MaxBatchTokens(), MaxPadWaste: -1}
	res := batching.RunRows(context.Background(), packRows, lim, func(ctx context.Context, in []tensor.Tensor) ([]tensor.Tensor, error) {
		return tm.m.RunInputs(ctx, in)
	})
	outs := make([]map[string]any, len(inputs))
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("run row %d: %v", i, r.Err)
		}
		out, err := tm.m.PostprocessRows([]Row{rows[i]}, [][]Tensor{r.Outputs})
		if err != nil {
			t.Fatalf("postprocess row %d: %v", i, err)
		}
		outs[i] = out
	}
	return states, outs
}

// longText is far over every test model's maximum length.
var longText = strings.Repeat("The quick brown fox jumps over the lazy dog near Paris. ", 60)

func comparisonTexts() []string { return append(slices.Clone(textmodels.Texts), longText) }

// reference answers texts with transformers.js under the same maximum
// length; its first response is the tokens.
func (tm *textModel) reference(t testing.TB, texts []string, pipes ...textmodels.Request) ([]textmodels.Tokens, [][]json.RawMessage) {
	t.Helper()
	in := inputsOf(texts)
	reqs := []textmodels.Request{{Task: "tokenize"}}
	reqs = append(reqs, pipes...)
	for i := range reqs {
		reqs[i].Model, reqs[i].Inputs, reqs[i].MaxLength = tm.dir, in, tm.codec.set.MaxLength
	}
	res, err := textmodels.ReferenceAll(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := textmodels.DecodeTokens(res[0])
	if err != nil {
		t.Fatal(err)
	}
	var outs [][]json.RawMessage
	for _, r := range res[1:] {
		outs = append(outs, r.Outputs)
	}
	return toks, outs
}

func checkTokens(t *testing.T, rows []*TextRow, want []textmodels.Tokens) {
	t.Helper()
	for i, r := range rows {
		ids := make([]int64, len(r.enc.IDs))
		for j, x := range r.enc.IDs {
			ids[j] = int64(x)
		}
		if !slices.Equal(ids, want[i].InputIDs) {
			t.Fatalf("text %d: ids %v, reference %v", i, ids, want[i].InputIDs)
		}
	}
}

func TestTextEmbeddingsMatchReference(t *testing.T) {
	refPooling := map[Pooling]string{PoolMean: "mean", PoolCLS: "cls", PoolLast: "last_token"}
	for _, name := range []string{"minilm-embed", "minilm-pooled", "qwen3-embed"} {
		t.Run(name, func(t *testing.T) {
			tm := loadTextModel(t, name, nil)
			texts := comparisonTexts()
			set := tm.codec.set
			pooling := refPooling[set.Pooling]
			if set.Pooled {
				pooling = "mean" // the export pooled its token_embeddings by mean
			}
			toks, refs := tm.reference(t, texts, textmodels.Request{Task: "feature-extraction", Options: map[string]any{"pooling": pooling, "normalize": true}})
			rows, outs := tm.predict(t, texts)
			checkTokens(t, rows, toks)
			for i, out := range outs {
				var want []float64
				if err := json.Unmarshal(refs[0][i], &want); err != nil {
					t.Fatal(err)
				}
				emb := out["embedding"].([]float32)
				if cos := cosine(float64s(emb), want); !(cos >= 0.9999) {
					t.Errorf("text %d: cosine %.6f with the reference", i, cos)
				}
				if out["dim"] != len(want) || out["num_tokens"] != len(toks[i].InputIDs) || out["truncated"] != (texts[i] == longText) {
					t.Errorf("text %d: dim %v num_tokens %v truncated %v; want %d, %d, %v", i, out["dim"], out["num_tokens"], out["truncated"], len(want), len(toks[i].InputIDs), texts[i] == longText)
				}
			}
		})
	}
}

func TestTextClassesMatchReference(t *testing.T) {
	for _, name := range []string{"minilm-sentiment", "qwen3-topics"} {
		t.Run(name, func(t *testing.T) {
			tm := loadTextModel(t, name, nil)
			texts := comparisonTexts()
			toks, refs := tm.reference(t, texts, textmodels.Request{Task: "text-classification", Options: map[string]any{"top_k": nil}})
			rows, outs := tm.predict(t, texts)
			checkTokens(t, rows, toks)
			for i, out := range outs {
				var want []struct {
					Label string
					Score float64
				}
				if err := json.Unmarshal(refs[0][i], &want); err != nil {
					t.Fatal(err)
				}
				top := out["top_k"].([]any)
				if len(top) != len(want) || out["label"] != want[0].Label {
					t.Fatalf("text %d: %v, reference %s", i, out, refs[0][i])
				}
				for k, w := range want {
					g := top[k].(map[string]any)
					if g["label"] != w.Label || math.Abs(g["score"].(float64)-w.Score) > 1e-4 {
						t.Errorf("text %d rank %d: %v, reference %+v", i, k, g, w)
					}
				}
			}
		})
	}
}

func TestTextEntitiesMatchReference(t *testing.T) {
	for _, name := range []string{"minilm-ner", "llama2-ner"} {
		t.Run(name, func(t *testing.T) {
			none := loadTextModel(t, name, nil)
			simple := loadTextModel(t, name, map[string]any{"aggregation": "simple"})
			texts := comparisonTexts()
			toks, refs := none.reference(t, texts,
				textmodels.Request{Task: "token-classification"},
				textmodels.Request{Task: "token-classification", Options: map[string]any{"aggregation_strategy": "simple"}})
			rows, outs := none.predict(t, texts)
			checkTokens(t, rows, toks)
			_, groups := simple.predict(t, texts)
			for i := range texts {
				compareEntities(t, i, texts[i], outs[i]["entities"].([]any), refs[0][i], "entity", "index")
				compareEntities(t, i, texts[i], groups[i]["entities"].([]any), refs[1][i], "entity_group")
			}
		})
	}
}

// compareEntities checks word, score and the keys given against the
// reference, and that start/end (which transformers.js does not give)
// point at the word in the text.
func compareEntities(t *testing.T, i int, text string, got []any, raw json.RawMessage, keys ...string) {
	t.Helper()
	var want []map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("text %d: %d entities, reference %d:\n%v\n%s", i, len(got), len(want), got, raw)
	}
	runes := []rune(text)
	for k, w := range want {
		g := got[k].(map[string]any)
		for _, key := range append(keys, "word") {
			if gv, wv := g[key], w[key]; gv != wv && !(isNumber(gv) && toFloat(gv) == toFloat(wv)) {
				t.Errorf("text %d entity %d: %s %v, reference %v", i, k, key, gv, wv)
			}
		}
		if math.Abs(g["score"].(float64)-w["score"].(float64)) > 1e-4 {
			t.Errorf("text %d entity %d: score %v, reference %v", i, k, g["score"], w["score"])
		}
		start, end := g["start"].(int), g["end"].(int)
		if start < 0 || end > len(runes) || start >= end {
			t.Errorf("text %d entity %d: offsets [%d,%d) outside the text", i, k, start, end)
		}
	}
}

func isNumber(v any) bool { _, ok := v.(int); return ok }

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// Bad text gets its own code and never reaches the model; truncation is
// not an error.
func TestTextInputErrors(t *testing.T) {
	qwen := loadTextModel(t, "qwen3-embed", nil)
	minilm := loadTextModel(t, "minilm-sentiment", nil)
	for _, c := range []struct {
		name string
		tm   *textModel
		in   Input
		code string
	}{
		{"not UTF-8", minilm, Input{Text: &Text{Text: "caf\xe9"}}, codeInvalidText},
		{"pair not UTF-8", minilm, Input{Text: &Text{Text: "ok", Pair: ptr("\xff")}}, codeInvalidText},
		{".txt bytes not UTF-8", qwen, Input{Data: []byte{'a', 0xC3}}, codeInvalidText},
		{"no tokens without special tokens", qwen, Input{Text: &Text{Text: ""}}, codeEmptyInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.tm.m.PreprocessInput(c.in)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Code != c.code {
				t.Fatalf("error %v, want code %s", err, c.code)
			}
		})
	}
	// Empty text under a tokenizer that adds [CLS] [SEP] is two tokens: a
	// valid input, as the pipeline sees it.
	if rows, err := minilm.m.PreprocessInput(Input{Text: &Text{Text: ""}}); err != nil || rows[0].State.(*TextRow).Len() != 2 {
		t.Errorf("empty text for MiniLM: %v", err)
	}
}

// A manifest beside the export overrides the derived options.
func TestTextManifestOverrides(t *testing.T) {
	texts := []string{textmodels.Texts[1], longText}
	base := loadTextModel(t, "minilm-embed", nil)
	_, plain := base.predict(t, texts)

	raw := loadTextModel(t, "minilm-embed", map[string]any{"pooling": "cls", "normalize": false, "max_length": 16})
	_, outs := raw.predict(t, texts)
	if n := outs[1]["num_tokens"]; n != 16 || outs[1]["truncated"] != true || outs[0]["truncated"] != false {
		t.Errorf("max_length 16: num_tokens %v truncated %v/%v", n, outs[0]["truncated"], outs[1]["truncated"])
	}
	emb := outs[0]["embedding"].([]float32)
	if math.Abs(normOf(emb)-1) < 1e-3 {
		t.Errorf("normalize false still gives a unit vector")
	}
	if cos := cosine(float64s(emb), float64s(plain[0]["embedding"].([]float32))); cos > 0.9999 {
		t.Errorf("cls pooling gives mean pooling's embedding (cosine %v)", cos)
	}

	top2 := loadTextModel(t, "qwen3-topics", map[string]any{"top_k": 2})
	_, cls := top2.predict(t, texts[:1])
	if top := cls[0]["top_k"].([]any); len(top) != 2 {
		t.Errorf("top_k 2 answers %d labels", len(top))
	}
	for _, bad := range []map[string]any{{"pooling": "median"}, {"aggregation": "first"}, {"max_length": 100000}, {"vectors": "csv"}, {"activation": "tanh"}} {
		if _, err := Load(overlay(t, "minilm-ner", bad), Options{}); err == nil {
			t.Errorf("manifest %v accepted", bad)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func normOf(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// Every generated export loads with no manifest of ours, with the task,
// inputs, maximum length and options its files say.
func TestGeneratedTextModelsLoad(t *testing.T) {
	want := map[string]struct {
		task    string
		inputs  int
		maxLen  int
		pooling Pooling
		multi   bool
		pooled  bool
	}{
		"minilm-embed":     {TaskFeatureExtraction, 3, 128, PoolMean, false, false}, // tokenizer.json truncates at 128
		"minilm-pooled":    {TaskFeatureExtraction, 3, 128, PoolMean, false, true},
		"minilm-sentiment": {TaskTextClassification, 3, 128, PoolMean, false, false},
		"minilm-ner":       {TaskTokenClassification, 3, 128, PoolMean, false, false},
		"qwen3-topics":     {TaskTextClassification, 2, 128, PoolMean, true, false}, // 130 positions less RoBERTa's 2
		"qwen3-embed":      {TaskFeatureExtraction, 2, 256, PoolLast, false, false},
		"llama2-ner":       {TaskTokenClassification, 2, 512, PoolMean, false, false}, // model_max_length 1e30: the positions
		"minilm-l6-bench":  {TaskFeatureExtraction, 3, 128, PoolMean, false, false},
	}
	if len(want) != len(textmodels.Names) {
		t.Fatalf("%d expectations for %d models", len(want), len(textmodels.Names))
	}
	for _, name := range textmodels.Names {
		tm := loadTextModel(t, name, nil)
		w, set := want[name], tm.codec.set
		if set.Task != w.task || len(tm.m.Manifest().Inputs) != w.inputs || set.MaxLength != w.maxLen ||
			set.Pooling != w.pooling || set.MultiLabel != w.multi || set.Pooled != w.pooled || tm.m.Name() != name {
			t.Errorf("%s: %s, %d inputs, max length %d, pooling %s, multi-label %v, pooled %v; want %+v",
				name, set.Task, len(tm.m.Manifest().Inputs), set.MaxLength, set.Pooling, set.MultiLabel, set.Pooled, w)
		}
	}
}

// A text pair (a cross-encoder's query and passage) gets the reference's
// ids and token type ids, and the model's answer on those.
func TestTextPairs(t *testing.T) {
	tm := loadTextModel(t, "minilm-sentiment", nil)
	pairs := []textmodels.Input{
		{Text: "Was the parcel late?", TextPair: "It arrived two days after the promised date."},
		{Text: "Refund?", TextPair: "Crème brûlée à São Paulo."},
		{Text: longText, TextPair: "short pair"},
	}
	toks, err := textmodels.Tokenize(context.Background(), tm.dir, tm.codec.set.MaxLength, pairs)
	if err != nil {
		t.Fatal(err)
	}
	run := runPadded(t, tm.dir, toks, []string{"logits"})
	labels := tm.m.Manifest().Labels
	for i, p := range pairs {
		rows, err := tm.m.PreprocessInput(Input{Text: &Text{Text: p.Text, Pair: &pairs[i].TextPair}})
		if err != nil {
			t.Fatal(err)
		}
		r := rows[0].State.(*TextRow)
		if fmt.Sprint(r.enc.IDs) != fmt.Sprint(toks[i].InputIDs) || fmt.Sprint(r.enc.TypeIDs) != fmt.Sprint(toks[i].TokenTypeIDs) {
			t.Fatalf("pair %d: ids %v types %v, reference %v %v", i, r.enc.IDs, r.enc.TypeIDs, toks[i].InputIDs, toks[i].TokenTypeIDs)
		}
		_, outs := tm.predictInputs(t, []Input{{Text: &Text{Text: p.Text, Pair: &pairs[i].TextPair}}})
		want, err := scoreLabels(run.outs[0][i*len(labels):(i+1)*len(labels)], labels, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if outs[0]["label"] != want[0].Label || math.Abs(outs[0]["score"].(float64)-want[0].Score) > 1e-4 {
			t.Errorf("pair %d: %v, the model on the reference's tokens says %+v", i, outs[0], want[0])
		}
	}
	if !slices.Contains(toks[0].TokenTypeIDs, 1) {
		t.Fatal("the pair's tokens have no type id 1")
	}
}
