package model

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/batchinfer/batchinfer/internal/textmodels"
)

// The pure text postprocessing functions; text_test.go checks them,
// through the codec, against transformers.js.

type textRun struct {
	tokens []textmodels.Tokens
	outs   [][]float32 // per output name order given
	seq    int         // padded length of the batch
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

// pool over a 3-token row whose last token is padding: the padding's
// large values must never show.
func TestPoolOverMask(t *testing.T) {
	hidden := []float32{1, 2, 3, 6, -1, 0, 100, 100}
	mask := []int64{1, 1, 1, 0}
	for _, c := range []struct {
		p    Pooling
		want []float32
	}{
		{PoolMean, []float32{1, 8.0 / 3}}, {PoolCLS, []float32{1, 2}}, {PoolMax, []float32{3, 6}}, {PoolLast, []float32{-1, 0}},
	} {
		got := pool(hidden, 2, mask, c.p)
		if math.Abs(float64(got[0]-c.want[0])) > 1e-6 || math.Abs(float64(got[1]-c.want[1])) > 1e-6 {
			t.Errorf("%s: %v, want %v", c.p, got, c.want)
		}
	}
	if got := pool(hidden, 2, []int64{0, 0, 0, 0}, PoolMean); got[0] != 0 || got[1] != 0 {
		t.Errorf("an all-masked row pools to %v", got)
	}
}

func TestScoreLabelsTopK(t *testing.T) {
	got, err := scoreLabels([]float32{0, 2, 1}, []string{"a", "b", "c"}, false, 2)
	if err != nil || len(got) != 2 || got[0].Label != "b" || got[1].Label != "c" {
		t.Fatalf("%+v %v", got, err)
	}
	if want := math.Exp(2) / (1 + math.Exp(1) + math.Exp(2)); math.Abs(got[0].Score-want) > 1e-12 {
		t.Errorf("softmax score %v, want %v", got[0].Score, want)
	}
	sig, _ := scoreLabels([]float32{0, 2, 1}, []string{"a", "b", "c"}, true, 0)
	if len(sig) != 3 || math.Abs(sig[2].Score-0.5) > 1e-12 {
		t.Errorf("sigmoid scores %+v", sig)
	}
	if _, err := scoreLabels([]float32{0, 1}, []string{"a", "b", "c"}, false, 0); err == nil {
		t.Error("2 logits for 3 labels accepted")
	}
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// The simple strategy's span rules, including E- and S- tags the test
// models' labels do not have.
func TestGroupEntitiesTags(t *testing.T) {
	ents := func(tags ...string) []Entity {
		out := make([]Entity, len(tags))
		for i, tg := range tags {
			out[i] = Entity{Entity: tg, Score: float64(i + 1), Index: i, Start: i * 2, End: i*2 + 1}
		}
		return out
	}
	spell := func(pos []int) string { return string(rune('a'+pos[0])) + string(rune('a'+pos[len(pos)-1])) }
	for _, c := range []struct {
		tags []string
		want []string // group:word
	}{
		{[]string{"B-PER", "I-PER", "B-LOC"}, []string{"PER:ab", "LOC:cc"}},
		{[]string{"I-PER", "I-PER", "I-ORG"}, []string{"PER:ab", "ORG:cc"}},
		{[]string{"B-PER", "E-PER", "I-PER"}, []string{"PER:ab", "PER:cc"}},
		{[]string{"S-PER", "I-PER"}, []string{"PER:aa", "PER:bb"}},
		{[]string{"B-PER", "B-PER"}, []string{"PER:aa", "PER:bb"}},
		{[]string{"MISC", "MISC"}, []string{"MISC:ab"}},
	} {
		groups := groupEntities(ents(c.tags...), spell)
		var got []string
		for _, g := range groups {
			got = append(got, g.Group+":"+g.Word)
		}
		if len(got) != len(c.want) {
			t.Errorf("%v: groups %v, want %v", c.tags, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%v: groups %v, want %v", c.tags, got, c.want)
			}
		}
		if g := groups[0]; g.Start != 0 || g.Score <= 0 {
			t.Errorf("%v: first group %+v", c.tags, g)
		}
	}
}
