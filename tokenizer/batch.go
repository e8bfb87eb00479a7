package tokenizer

import (
	"runtime"
	"sync"
)

// Input is one text (and optional pair) of a batch, as raw bytes.
type Input struct {
	Text, Pair []byte
}

// EncodeBatch encodes every input, spreading a large batch over the CPUs.
// errs[i] is input i's error (an *InvalidUTF8Error); the others still encode.
func (t *Tokenizer) EncodeBatch(in []Input, opts Options) (encs []Encoding, errs []error) {
	encs = make([]Encoding, len(in))
	errs = make([]error, len(in))
	workers := min(runtime.GOMAXPROCS(0), len(in)/16+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(in); i += workers {
				encs[i], errs[i] = t.EncodeBytes(in[i].Text, in[i].Pair, opts)
			}
		})
	}
	wg.Wait()
	return encs, errs
}
