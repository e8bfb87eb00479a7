// Package vectors writes a record file's embeddings as a binary side output
// next to its JSONL results: Millions of 384–1024-dim vectors as JSON text
// are several times larger and slower to load than float32 bytes.
//
// Parquet (the default) holds one row per embedded record: its id (a
// string column) and its vector (a list column whose every row has exactly
// dim float32 values, dim also in the file's key-value metadata). It
// streams: row groups are written as records arrive, so any number of
// vectors fits, and vector stores, DuckDB, pandas and Spark load it as it is.
//
// NPY is one float32 matrix [records, dim] in record order, a failed
// record's row all NaN so that row i is always the file's record i. Its
// header holds the row count, so it is written to a seekable file and
// rewritten at Close.
//
// It is a leaf package: it imports nothing of ours.
package vectors

import (
	"errors"
	"fmt"
)

// Format is a side output's file format.
type Format string

// The formats.
const (
	Parquet Format = "parquet"
	NPY     Format = "npy"
)

// ParseFormat reads a manifest's or setting's value; "" is Parquet.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "parquet":
		return Parquet, nil
	case "npy":
		return NPY, nil
	}
	return "", fmt.Errorf("vectors format %q is not parquet or npy", s)
}

// Ext is the file name extension of the format.
func (f Format) Ext() string { return "." + string(f) }

// ContentType is the format's media type for the S3 object.
func (f Format) ContentType() string {
	if f == NPY {
		return "application/x-npy"
	}
	return "application/vnd.apache.parquet"
}

// Writer takes a record file's embeddings in record order.
type Writer interface {
	// Add writes record id's vector; every vector of a file has one length.
	Add(id string, v []float32) error
	// Skip records that record id has no vector (it failed).
	Skip(id string) error
	// Close finishes the file (it does not close the underlying writer).
	Close() error
	// Rows is how many rows the file holds so far.
	Rows() int
}

// ErrDim is returned for a vector whose length differs from the file's.
var ErrDim = errors.New("vector length differs from the file's")

func checkDim(dim *int, v []float32) error {
	if len(v) == 0 {
		return fmt.Errorf("%w: empty vector", ErrDim)
	}
	if *dim == 0 {
		*dim = len(v)
	}
	if len(v) != *dim {
		return fmt.Errorf("%w: %d values, the file's vectors have %d", ErrDim, len(v), *dim)
	}
	return nil
}
