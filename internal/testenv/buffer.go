package testenv

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer collects output written from several goroutines (a child's
// stdout and stderr, loggers) for a test to read while they still write.
// The zero value is ready to use.
type Buffer struct {
	// Cap, when positive, keeps only the first Cap bytes: writes beyond are
	// accepted and dropped, so a chatty child cannot grow it without bound.
	Cap int

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write never fails, so a writer that outlives the reader never blocks on it.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := p
	if b.Cap > 0 {
		keep = p[:min(len(p), max(b.Cap-b.buf.Len(), 0))]
	}
	b.buf.Write(keep)
	return len(p), nil
}

// Bytes is a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *Buffer) String() string { return string(b.Bytes()) }

// Tail is the last n lines, for failure messages.
func (b *Buffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
