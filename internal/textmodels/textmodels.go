// Package textmodels finds the project's text test models (made by gen.py in
// this folder, run by `go tool task setup` into .cache/models/text/NAME) and
// runs the reference implementation, transformers.js, on them through
// reference.mjs, so tests and benchmarks compare the worker's answers with
// the Hugging Face pipelines' on the same folders.
//
// The models (random but seeded weights; 1 layer, hidden 32 unless said):
//
//	minilm-embed      WordPiece, BertModel, 1_Pooling mean (sentence-transformers)
//	minilm-pooled     WordPiece, outputs token_embeddings + sentence_embedding, onnx/model.onnx
//	minilm-sentiment  WordPiece, BertForSequenceClassification, softmax over 3 labels
//	minilm-ner        WordPiece, BertForTokenClassification, O/B-/I- PER ORG LOC MISC
//	qwen3-topics      byte-level BPE, RoBERTa positions (offset 2), multi-label (sigmoid)
//	qwen3-embed       byte-level BPE, DistilBertModel inputs, last-token pooling
//	llama2-ner        SentencePiece BPE with byte fallback, DistilBertForTokenClassification
//	minilm-l6-bench   all-MiniLM-L6-v2's shape (6 layers, hidden 384), for benchmarks
package textmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// Names lists every generated model.
var Names = []string{"minilm-embed", "minilm-pooled", "minilm-sentiment", "minilm-ner", "qwen3-topics", "qwen3-embed", "llama2-ner", "minilm-l6-bench"}

// Root is .cache/models/text.
func Root() string { return filepath.Join(testenv.CacheDir(), "models", "text") }

// Dir returns the folder of model NAME, failing the test when setup has not
// made it.
func Dir(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Root(), name)
	if _, err := os.Stat(filepath.Join(p, "config.json")); err != nil {
		t.Fatalf("%s is missing (%v): run `go tool task setup` first", p, err)
	}
	return p
}

// Input is one text, optionally with its pair.
type Input struct {
	Text     string `json:"text"`
	TextPair string `json:"text_pair,omitempty"`
}

// Request is what reference.mjs reads: Task is a transformers.js pipeline
// task or "tokenize"; Options go to the pipeline call as they are.
type Request struct {
	Model     string         `json:"model"`
	Task      string         `json:"task"`
	Options   map[string]any `json:"options,omitempty"`
	Inputs    []Input        `json:"inputs"`
	Batch     int            `json:"batch,omitempty"`      // texts per pipeline call (default 1)
	MaxLength int            `json:"max_length,omitempty"` // overrides tokenizer_config's model_max_length
	Repeat    int            `json:"repeat,omitempty"`     // timing: run the inputs this many times, no outputs
}

// Response is what it prints: one output per input (the pipeline's own
// JSON), or the seconds Repeat runs took.
type Response struct {
	Outputs []json.RawMessage `json:"outputs"`
	Seconds float64           `json:"seconds"`
	Count   int               `json:"count"`
}

// Tokens is a tokenize output.
type Tokens struct {
	InputIDs      []int64  `json:"input_ids"`
	AttentionMask []int64  `json:"attention_mask"`
	TokenTypeIDs  []int64  `json:"token_type_ids"`
	Tokens        []string `json:"tokens"`
	Words         []string `json:"words"` // each id decoded alone, "" for special tokens
}

// Reference runs reference.mjs under node with req.
func Reference(ctx context.Context, req Request) (Response, error) {
	res, err := ReferenceAll(ctx, []Request{req})
	if err != nil {
		return Response{}, err
	}
	return res[0], nil
}

// ReferenceAll answers several requests in one node process, which loads
// each model once: starting transformers.js and reading a large
// tokenizer.json take seconds.
func ReferenceAll(ctx context.Context, reqs []Request) ([]Response, error) {
	body, err := json.Marshal(reqs)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(testenv.RepoRoot(), "internal", "textmodels", "reference.mjs")
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "BATCHINFER_NODE_MODULES="+filepath.Join(testenv.CacheDir(), "node", "node_modules"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("reference %s on %s: %w: %s", reqs[0].Task, reqs[0].Model, err, stderr.String())
	}
	var res []Response
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("reference output: %w: %.300s", err, stdout.String())
	}
	if len(res) != len(reqs) {
		return nil, fmt.Errorf("reference answered %d of %d requests", len(res), len(reqs))
	}
	for i, r := range reqs {
		if r.Repeat == 0 && len(res[i].Outputs) != len(r.Inputs) {
			return nil, fmt.Errorf("reference answered %d outputs for %d inputs", len(res[i].Outputs), len(r.Inputs))
		}
	}
	return res, nil
}

// DecodeTokens reads a tokenize response.
func DecodeTokens(res Response) ([]Tokens, error) {
	out := make([]Tokens, len(res.Outputs))
	for i, raw := range res.Outputs {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("reference tokens %d: %w", i, err)
		}
	}
	return out, nil
}

// Tokenize returns transformers.js's tokens for each input of model dir.
func Tokenize(ctx context.Context, dir string, maxLength int, inputs []Input) ([]Tokens, error) {
	res, err := Reference(ctx, Request{Model: dir, Task: "tokenize", Inputs: inputs, MaxLength: maxLength})
	if err != nil {
		return nil, err
	}
	return DecodeTokens(res)
}

// Texts is a fixed mix for comparisons: plain and accented Latin, CJK,
// emoji, RTL, long and short, so padded batches hold rows of many lengths.
var Texts = []string{
	"Hello world from Paris, said Jean-Pierre Dupont to Microsoft in New York yesterday.",
	"Short",
	"The parcel arrived late and the refund still hasn't shown up on my card.",
	"Crème brûlée à São Paulo — naïve café, Zürich.",
	"東京タワーは日本の首都にあります。北京和上海也很大。",
	"Great service 👍🏽 — will order again! 👨‍👩‍👧",
	"مرحبا بالعالم، هذا نص تجريبي.",
	"a",
	"I was charged twice for one order; please fix billing, shipping was fine, but the app keeps crashing when I open returns.",
	"Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the European Union budget and trade with China.",
}

// corpusWords is the vocabulary of Corpus: common English words, names,
// places and a few accented and non-Latin ones.
var corpusWords = strings.Fields(`the a of to and in is was for on that with as by at from it his her
they we you this be are have had not but or which one all were when there their an who will more no if out
so said what up its about into than them can only other new some could time these two may then do first any
my now such like our over man me even most made after also did many before must through back years where
much your way well down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same another know while last
might us great old year off come since against go came right used take three refund order parcel arrived
late service billing shipping returns crashing app card charged twice support ticket delivery broken
Paris London Berlin Tokyo Madrid Microsoft Amazon Google Angela Merkel Emmanuel Macron Jean-Pierre
café naïve Zürich São Paulo Kraków Ελλάδα Москва 東京 北京 😀 👍🏽 مرحبا`)

// Corpus is n texts of mixed lengths, the same for every call: most are a
// sentence or two (5-40 words), one in ten a paragraph (60-200 words), one
// in a hundred far over a model's maximum length (400-700 words), as
// reviews, tickets and documents mix in a real record file.
func Corpus(n int) []string {
	r := rand.New(rand.NewPCG(16, 2026))
	out := make([]string, n)
	var sb strings.Builder
	for i := range out {
		words := 5 + r.IntN(36)
		switch x := r.IntN(100); {
		case x == 0:
			words = 400 + r.IntN(301)
		case x < 10:
			words = 60 + r.IntN(141)
		}
		sb.Reset()
		for w := 0; w < words; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(corpusWords[r.IntN(len(corpusWords))])
			if r.IntN(12) == 0 {
				sb.WriteString(".")
			}
		}
		out[i] = sb.String()
	}
	return out
}
