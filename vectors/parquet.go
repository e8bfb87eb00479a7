package vectors

import (
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// row is one Parquet row.
type row struct {
	ID        string    `parquet:"id"`
	Embedding []float32 `parquet:"embedding,list"`
}

// rowsPerGroup bounds the memory a writer buffers: 8,192 rows of 1024
// floats are 32 MiB.
const rowsPerGroup = 8192

// ParquetWriter streams rows to w.
type ParquetWriter struct {
	out  io.Writer
	w    *parquet.GenericWriter[row]
	buf  []row
	dim  int
	rows int
}

// NewParquet writes a Parquet file to w.
func NewParquet(w io.Writer) *ParquetWriter {
	return &ParquetWriter{out: w}
}

// Add buffers one row, writing a row group when enough have arrived.
func (p *ParquetWriter) Add(id string, v []float32) error {
	if err := checkDim(&p.dim, v); err != nil {
		return fmt.Errorf("record %s: %w", id, err)
	}
	if p.w == nil {
		// The writer starts at the first vector, when dim is known, so the
		// file's metadata can say it.
		p.w = parquet.NewGenericWriter[row](p.out,
			parquet.Compression(&snappy.Codec{}),
			parquet.MaxRowsPerRowGroup(rowsPerGroup),
			parquet.KeyValueMetadata("dim", strconv.Itoa(p.dim)),
			parquet.CreatedBy("batchinfer", "", ""))
	}
	p.buf = append(p.buf, row{ID: id, Embedding: v})
	p.rows++
	if len(p.buf) >= rowsPerGroup {
		return p.flush()
	}
	return nil
}

// Skip leaves a failed record out: Parquet rows carry their ids.
func (p *ParquetWriter) Skip(string) error { return nil }

// Rows is how many vectors were added.
func (p *ParquetWriter) Rows() int { return p.rows }

func (p *ParquetWriter) flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	if _, err := p.w.Write(p.buf); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	p.buf = p.buf[:0]
	return nil
}

// Close writes the buffered rows and the footer. A file without vectors
// still gets a valid (empty) Parquet file.
func (p *ParquetWriter) Close() error {
	if p.w == nil {
		p.w = parquet.NewGenericWriter[row](p.out, parquet.CreatedBy("batchinfer", "", ""))
	}
	if err := p.flush(); err != nil {
		return err
	}
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("close parquet file: %w", err)
	}
	return nil
}
