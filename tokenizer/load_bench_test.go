package tokenizer

import (
	"path/filepath"
	"testing"
)

// BenchmarkLoad is the cold-start cost of a tokenizer (the Lambda's init).
//
//	go test -run '^$' -bench Load -benchtime 3x ./tokenizer/
func BenchmarkLoad(b *testing.B) {
	for _, dir := range referenceTokenizers {
		b.Run(dir, func(b *testing.B) {
			path := filepath.Join(repoRoot(b), ".cache", "tokenizers", dir)
			for b.Loop() {
				if _, err := Load(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
