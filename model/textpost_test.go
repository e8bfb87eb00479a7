package model

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/internal/textmodels"
)

// These tests check the text postprocessing against transformers.js on the
// project's text models: the reference's own token ids go through one
// right-padded ORT run of mixed lengths (so a masking mistake shows), then
// through the functions under test.

type textRun struct {
	tokens []textmodels.Tokens
	outs   [][]float32 // per output name order given
	seq    int         // padded length of the batch
}

// refOf asks the reference, in one node run, for the tokens of
// textmodels.Texts under model dir and for each pipeline's answers to them
// (task, options pairs).
func refOf(t *testing.T, dir string, pipes ...any) ([]textmodels.Tokens, [][]json.RawMessage) {
	t.Helper()
	in := inputsOf(textmodels.Texts)
	reqs := []textmodels.Request{{Model: dir, Task: "tokenize", Inputs: in}}
	for i := 0; i < len(pipes); i += 2 {
		opts, _ := pipes[i+1].(map[string]any)
		reqs = append(reqs, textmodels.Request{Model: dir, Task: pipes[i].(string), Options: opts, Inputs: in})
	}
	res, err := textmodels.ReferenceAll(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := textmodels.DecodeTokens(res[0])
	if err != nil {
		t.Fatal(err)
	}
	outs := make([][]json.RawMessage, len(res)-1)
	for i := range outs {
		outs[i] = res[i+1].Outputs
	}
	return toks, outs
}

// runPadded runs model dir on the reference's tokens as one batch padded to
// the longest row.
func runPadded(t *testing.T, dir string, toks []textmodels.Tokens, outputs []string) textRun {
	t.Helper()
	seq := 0
	for _, tk := range toks {
		seq = max(seq, len(tk.InputIDs))
	}
	n := len(toks)
	ids, mask, types := make([]int64, n*seq), make([]int64, n*seq), make([]int64, n*seq)
	for i, tk := range toks {
		copy(ids[i*seq:], tk.InputIDs)
		copy(mask[i*seq:], tk.AttentionMask)
		copy(types[i*seq:], tk.TokenTypeIDs)
	}
	names := []string{"input_ids", "attention_mask"}
	data := [][]int64{ids, mask}
	if toks[0].TokenTypeIDs != nil {
		names, data = append(names, "token_type_ids"), append(data, types)
	}
	path := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join(dir, "onnx", "model.onnx")
	}
	sess, err := ort.NewDynamicAdvancedSession(path, names, outputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()
	in := make([]ort.Value, len(data))
	for i, d := range data {
		v, err := ort.NewTensor(ort.NewShape(int64(n), int64(seq)), d)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Destroy()
		in[i] = v
	}
	out := make([]ort.Value, len(outputs))
	if err := sess.Run(in, out); err != nil {
		t.Fatal(err)
	}
	res := textRun{tokens: toks, seq: seq}
	for _, v := range out {
		res.outs = append(res.outs, append([]float32(nil), v.(*ort.Tensor[float32]).GetData()...))
		v.Destroy()
	}
	return res
}

func inputsOf(texts []string) []textmodels.Input {
	in := make([]textmodels.Input, len(texts))
	for i, s := range texts {
		in[i] = textmodels.Input{Text: s}
	}
	return in
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab, aa, bb = ab+a[i]*b[i], aa+a[i]*a[i], bb+b[i]*b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func TestPoolingMatchesReference(t *testing.T) {
	const dim = 32
	type pooling struct {
		ours      Pooling
		ref       string
		normalize bool
	}
	cases := []struct {
		model, output string
		poolings      []pooling
	}{
		{"minilm-embed", "last_hidden_state", []pooling{{PoolMean, "mean", true}, {PoolCLS, "cls", false}}},
		{"qwen3-embed", "last_hidden_state", []pooling{{PoolLast, "last_token", true}}},
		{"minilm-pooled", "token_embeddings", []pooling{{PoolMean, "mean", false}}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			dir := textmodels.Dir(t, c.model)
			var pipes []any
			for _, p := range c.poolings {
				pipes = append(pipes, "feature-extraction", map[string]any{"pooling": p.ref, "normalize": p.normalize})
			}
			toks, refs := refOf(t, dir, pipes...)
			run := runPadded(t, dir, toks, []string{c.output})
			for k, p := range c.poolings {
				for i, tk := range run.tokens {
					got := pool(run.outs[0][i*run.seq*dim:(i+1)*run.seq*dim], dim, tk.AttentionMask, p.ours)
					if p.normalize {
						l2Normalize(got)
					}
					var want []float64
					if err := json.Unmarshal(refs[k][i], &want); err != nil {
						t.Fatal(err)
					}
					if cos := cosine(float64s(got), want); !(cos >= 0.9999) {
						t.Errorf("%s: text %d %q: cosine %.6f with the reference", p.ref, i, textmodels.Texts[i], cos)
					}
					if p.normalize && math.Abs(norm(got)-1) > 1e-5 {
						t.Errorf("%s: text %d: norm %v after normalising", p.ref, i, norm(got))
					}
				}
			}
		})
	}
}

// The pooled output a sentence-transformers export carries equals mean
// pooling of its token embeddings: the case where the worker uses it as is.
func TestPooledOutputEqualsMeanPooling(t *testing.T) {
	dir := textmodels.Dir(t, "minilm-pooled")
	toks, err := textmodels.Tokenize(context.Background(), dir, 0, inputsOf(textmodels.Texts))
	if err != nil {
		t.Fatal(err)
	}
	run := runPadded(t, dir, toks, []string{"token_embeddings", "sentence_embedding"})
	for i, tk := range run.tokens {
		mean := pool(run.outs[0][i*run.seq*32:(i+1)*run.seq*32], 32, tk.AttentionMask, PoolMean)
		if cos := cosine(float64s(mean), float64s(run.outs[1][i*32:(i+1)*32])); cos < 0.9999 {
			t.Errorf("text %d: cosine %.6f", i, cos)
		}
	}
}

func TestClassificationMatchesReference(t *testing.T) {
	for _, c := range []struct {
		model   string
		sigmoid bool
	}{{"minilm-sentiment", false}, {"qwen3-topics", true}} {
		t.Run(c.model, func(t *testing.T) {
			dir := textmodels.Dir(t, c.model)
			labels := configLabels(t, dir)
			toks, refs := refOf(t, dir, "text-classification", map[string]any{"top_k": nil})
			ref := refs[0]
			run := runPadded(t, dir, toks, []string{"logits"})
			n := len(labels)
			for i := range run.tokens {
				got, err := scoreLabels(run.outs[0][i*n:(i+1)*n], labels, c.sigmoid, 0)
				if err != nil {
					t.Fatal(err)
				}
				var want []struct {
					Label string
					Score float64
				}
				if err := json.Unmarshal(ref[i], &want); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("text %d: %d labels, reference %d", i, len(got), len(want))
				}
				for k := range want {
					if got[k].Label != want[k].Label || math.Abs(got[k].Score-want[k].Score) > 1e-4 {
						t.Errorf("text %d rank %d: %s %.6f, reference %s %.6f", i, k, got[k].Label, got[k].Score, want[k].Label, want[k].Score)
					}
				}
			}
		})
	}
}

func TestEntitiesMatchReference(t *testing.T) {
	for _, name := range []string{"minilm-ner", "llama2-ner"} {
		t.Run(name, func(t *testing.T) {
			dir := textmodels.Dir(t, name)
			labels := configLabels(t, dir)
			toks, refs := refOf(t, dir, "token-classification", nil, "token-classification", map[string]any{"aggregation_strategy": "simple"})
			none, simple := refs[0], refs[1]
			run := runPadded(t, dir, toks, []string{"logits"})
			n := len(labels)
			total := 0
			for i, tk := range run.tokens {
				toks := make([]Token, len(tk.InputIDs))
				for j := range toks {
					toks[j] = Token{ID: int(tk.InputIDs[j]), Word: tk.Words[j]}
				}
				got, err := tokenEntities(run.outs[0][i*run.seq*n:(i+1)*run.seq*n], labels, toks, []string{"O"})
				if err != nil {
					t.Fatal(err)
				}
				total += len(got)
				var want []struct {
					Entity string
					Score  float64
					Index  int
					Word   string
				}
				if err := json.Unmarshal(none[i], &want); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("text %d: %d entities, reference %d: %+v vs %s", i, len(got), len(want), got, none[i])
				}
				for k := range want {
					g, w := got[k], want[k]
					if g.Entity != w.Entity || g.Index != w.Index || g.Word != w.Word || math.Abs(g.Score-w.Score) > 1e-4 {
						t.Errorf("text %d entity %d: %+v, reference %+v", i, k, g, w)
					}
				}
				checkGroups(t, i, groupEntities(got, func([]int) string { return "" }), simple[i])
			}
			if total == 0 {
				t.Fatal("no entities at all: the test model labels everything O")
			}
		})
	}
}

// checkGroups compares spans and scores; the words need the tokenizer's
// decoding of several ids, which the codec tests check.
func checkGroups(t *testing.T, i int, got []EntityGroup, raw json.RawMessage) {
	t.Helper()
	var want []struct {
		EntityGroup string `json:"entity_group"`
		Score       float64
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("text %d: %d groups, reference %d: %+v vs %s", i, len(got), len(want), got, raw)
	}
	for k := range want {
		if got[k].Group != want[k].EntityGroup || math.Abs(got[k].Score-want[k].Score) > 1e-4 {
			t.Errorf("text %d group %d: %+v, reference %+v", i, k, got[k], want[k])
		}
	}
}

func configLabels(t *testing.T, dir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ID2Label map[int]string `json:"id2label"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	labels := make([]string, len(cfg.ID2Label))
	for i := range labels {
		labels[i] = cfg.ID2Label[i]
	}
	return labels
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
