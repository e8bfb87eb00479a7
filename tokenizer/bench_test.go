package tokenizer

import (
	"strings"
	"testing"
)

// benchTexts are 256 texts of mixed length and script, made from the
// corpus: what a batch of reviews or tickets looks like.
func benchTexts() []string {
	var texts []string
	for i := 0; len(texts) < 256; i++ {
		a, b := corpus[i%len(corpus)], corpus[(i*7+3)%len(corpus)]
		texts = append(texts, strings.TrimSpace(strings.Repeat(a+" ", 1+i%3)+b))
	}
	return texts
}

// BenchmarkEncode reports our tokens/s and, measured by node in the same
// run on the same texts, transformers.js's (js-tokens/s).
//
//	go test -run '^$' -bench Encode -benchtime 2s ./tokenizer/
func BenchmarkEncode(b *testing.B) {
	root := modelsRoot(b)
	texts := benchTexts()
	for _, dir := range referenceTokenizers {
		b.Run(dir, func(b *testing.B) {
			tok := loadTok(b, root, dir)
			js := jsTokensPerSec(b, root, dir, texts)
			for _, t := range texts { // warm the BPE cache, as node's is warmed
				_, _ = tok.Encode(t, "", Options{})
			}
			b.ResetTimer()
			tokens := 0
			for b.Loop() {
				for _, t := range texts {
					e, err := tok.Encode(t, "", Options{})
					if err != nil {
						b.Fatal(err)
					}
					tokens += len(e.IDs)
				}
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(tokens)/secs, "tokens/s")
			b.ReportMetric(js, "js-tokens/s")
			b.ReportMetric(float64(tokens)/secs/js, "x-js")
		})
	}
}

func jsTokensPerSec(b *testing.B, root, dir string, texts []string) float64 {
	var r struct {
		TokensPerSec float64 `json:"tokens_per_sec"`
	}
	node(b, "bench.mjs", texts, &r, root, dir, "3")
	return r.TokensPerSec
}

// BenchmarkLongText is a 2.3 MB document truncated to 512 tokens, as an
// embedding of a .txt drop is: the encoding stops once the kept tokens are
// known (whole-text BERT-like pipelines chunk by chunk; the others after
// normalizing and splitting the whole text, before the model).
//
//	go test -run '^$' -bench LongText -benchtime 3x ./tokenizer/
func BenchmarkLongText(b *testing.B) {
	text := strings.Repeat("Le café du coin, naïve et 日本語: the quick brown fox jumps over the lazy dog 42 times! ", 25000)
	for _, dir := range referenceTokenizers {
		for _, limit := range []int{512, -1} {
			name := dir + "/whole"
			if limit > 0 {
				name = dir + "/512"
			}
			b.Run(name, func(b *testing.B) {
				tok := realTokenizer(b, dir)
				for b.Loop() {
					if _, err := tok.Encode(text, "", Options{MaxLength: limit}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(text))/b.Elapsed().Seconds()*float64(b.N)/1e6, "MB/s")
			})
		}
	}
}
