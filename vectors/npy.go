package vectors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// npyHeaderLen is the fixed header size: NumPy's format 1.0 wants the data
// to start at a multiple of 64 bytes, and 128 leaves room for any shape.
const npyHeaderLen = 128

// NPYWriter writes a float32 matrix to a seekable file.
type NPYWriter struct {
	f       io.WriteSeeker
	w       *bufio.Writer
	dim     int
	rows    int
	pending int // failed records before the first vector said dim
	scratch []byte
}

// NewNPY starts a .npy file at f's current start (offset 0).
func NewNPY(f io.WriteSeeker) (*NPYWriter, error) {
	n := &NPYWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	// A placeholder: the real header, with the row count, is written at Close.
	if _, err := n.w.Write(npyHeader(0, 0)); err != nil {
		return nil, fmt.Errorf("write npy header: %w", err)
	}
	return n, nil
}

// Add appends record id's vector as the next row.
func (n *NPYWriter) Add(id string, v []float32) error {
	if err := checkDim(&n.dim, v); err != nil {
		return fmt.Errorf("record %s: %w", id, err)
	}
	for ; n.pending > 0; n.pending-- {
		if err := n.nanRow(); err != nil {
			return err
		}
	}
	return n.write(v)
}

// Skip appends a NaN row, so row i stays record i.
func (n *NPYWriter) Skip(string) error {
	if n.dim == 0 {
		n.pending++
		return nil
	}
	return n.nanRow()
}

// Rows is the rows written so far.
func (n *NPYWriter) Rows() int { return n.rows + n.pending }

func (n *NPYWriter) nanRow() error {
	nan := make([]float32, n.dim)
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	return n.write(nan)
}

func (n *NPYWriter) write(v []float32) error {
	n.scratch = n.scratch[:0]
	for _, x := range v {
		n.scratch = binary.LittleEndian.AppendUint32(n.scratch, math.Float32bits(x))
	}
	if _, err := n.w.Write(n.scratch); err != nil {
		return fmt.Errorf("write npy row: %w", err)
	}
	n.rows++
	return nil
}

// Close flushes the rows and rewrites the header with the final shape. A
// file whose records all failed before any vector is [rows, 0].
func (n *NPYWriter) Close() error {
	if err := n.w.Flush(); err != nil {
		return fmt.Errorf("write npy rows: %w", err)
	}
	if _, err := n.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewrite npy header: %w", err)
	}
	if _, err := n.f.Write(npyHeader(n.rows+n.pending, n.dim)); err != nil {
		return fmt.Errorf("rewrite npy header: %w", err)
	}
	_, err := n.f.Seek(0, io.SeekEnd)
	return err
}

// npyHeader is NumPy format 1.0's magic, version, header length and the
// header dict, padded with spaces to npyHeaderLen bytes ending in "\n".
func npyHeader(rows, dim int) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, dim)
	h := []byte("\x93NUMPY\x01\x00")
	h = binary.LittleEndian.AppendUint16(h, uint16(npyHeaderLen-10))
	h = append(h, dict...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}
