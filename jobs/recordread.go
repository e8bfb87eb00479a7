package jobs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
)

// recordSource cuts the (decompressed) stream into raw records, keeping the
// offset of every byte so records can be resumed at.
type recordSource struct {
	in      *errReader // the caller's reader, remembering its own errors
	gzipped bool
	skip    int64 // bytes of decompressed content to discard first (a gzip resume)
	max     int
	br      *bufio.Reader
	off     int64  // stream offset of the next unread byte
	buf     []byte // a record that spans several reads
	quotes  csvQuoteState
}

// errReader remembers the last error of the reader it wraps, so an error
// out of the gzip reader can be told as the source's (a network failure the
// caller classifies) or gzip's own (a corrupt or truncated stream).
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// readBufferSize is the bufio buffer: records longer than it are read in
// pieces, so it need not hold MaxRecordBytes.
const readBufferSize = 64 << 10

func newRecordSource(r io.Reader, opt RecordReaderOptions) *recordSource {
	s := &recordSource{in: &errReader{r: r}, gzipped: opt.Gzipped, max: opt.MaxRecordBytes, off: opt.Offset}
	if opt.Gzipped {
		s.skip = opt.Offset
	}
	return s
}

// open starts the stream: for gzip it reads the header and discards the
// content before a resume's offset.
func (s *recordSource) open() error {
	var r io.Reader = s.in
	if s.gzipped {
		gz, err := gzip.NewReader(s.in)
		if err != nil {
			return s.streamErr(err)
		}
		r = gz
	}
	s.br = bufio.NewReaderSize(r, readBufferSize)
	if s.skip > 0 {
		n, err := s.br.Discard(int(min(s.skip, int64(^uint(0)>>1))))
		if err == io.EOF {
			return Errorf(CodeMalformedJob, "record file: gzip content is %d bytes, shorter than the resume offset %d (was the object replaced?)", n, s.skip)
		}
		if err != nil {
			return s.streamErr(err)
		}
	}
	return nil
}

// streamErr classifies an error of the stream (see RecordReader.Next).
func (s *recordSource) streamErr(err error) error {
	if s.in.err != nil && errors.Is(err, s.in.err) {
		return s.in.err
	}
	if s.gzipped {
		return Wrap(CodeMalformedJob, err, "record file: gzip stream broken after byte %d of content", s.off)
	}
	return err
}

// record returns the next raw record without its line end ("\n" or
// "\r\n"), or tooLong (and no bytes) when it is longer than max, or io.EOF
// when the stream holds no more bytes. In CSV a newline inside a quoted
// field does not end the record. The bytes are valid until the next call.
func (s *recordSource) record(csv bool) (raw []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	s.quotes = csvFieldStart
	n := 0 // bytes of this record so far
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.off += int64(len(chunk))
		n += len(chunk)
		ends := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if csv {
			ends = s.quotes.scan(chunk) && ends
		}
		over := n-lineEndLen(chunk, ends) > s.max
		tooLong = tooLong || over
		switch {
		case tooLong:
			s.buf = s.buf[:0]
		case ends && len(s.buf) == 0: // the common case: one piece, no copy
			return trimLineEnd(chunk), false, nil
		default:
			s.buf = append(s.buf, chunk...)
		}
		switch {
		case ends:
			return trimLineEnd(s.buf), tooLong, nil
		case err == io.EOF:
			if n == 0 {
				return nil, false, io.EOF
			}
			// The last record, without a line end; a "\r" before the end of
			// the stream is dropped, as encoding/csv does.
			return bytes.TrimSuffix(s.buf, []byte("\r")), tooLong, nil
		case err != nil && err != bufio.ErrBufferFull:
			return nil, false, s.streamErr(err)
		}
	}
}

// lineEndLen is how many bytes of chunk's end are the record's line end.
func lineEndLen(chunk []byte, ends bool) int {
	switch {
	case !ends:
		return 0
	case len(chunk) > 1 && chunk[len(chunk)-2] == '\r':
		return 2
	default:
		return 1
	}
}

func trimLineEnd(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n > 1 && b[n-2] == '\r' {
			b = b[:n-2]
		}
	}
	return b
}
