package vectors

import (
	"errors"
	"io"
)

// Buffer is an in-memory io.WriteSeeker, for an NPY file whose header is
// rewritten at Close before the bytes go to S3 in one PUT.
type Buffer struct {
	b   []byte
	off int
}

// Write writes at the current offset, growing the buffer as needed.
func (f *Buffer) Write(p []byte) (int, error) {
	if end := f.off + len(p); end > len(f.b) {
		f.b = append(f.b, make([]byte, end-len(f.b))...)
	}
	copy(f.b[f.off:], p)
	f.off += len(p)
	return len(p), nil
}

// Seek moves the offset (whence io.SeekStart, io.SeekCurrent, io.SeekEnd).
func (f *Buffer) Seek(offset int64, whence int) (int64, error) {
	base := 0
	switch whence {
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		base = len(f.b)
	}
	n := base + int(offset)
	if n < 0 {
		return 0, errors.New("vectors: seek before the start")
	}
	f.off = n
	return int64(n), nil
}

// Bytes is everything written.
func (f *Buffer) Bytes() []byte { return f.b }

// Len is the bytes written.
func (f *Buffer) Len() int { return len(f.b) }
