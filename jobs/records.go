package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RecordFormat is the format of a record file: many inputs in one object,
// one per line (JSONL) or row (CSV). See doc.go, "Record files".
type RecordFormat string

// Record file formats.
const (
	FormatJSONL RecordFormat = "jsonl" // .jsonl or .ndjson
	FormatCSV   RecordFormat = "csv"   // .csv
)

// DefaultMaxRecordBytes bounds one record when RecordReaderOptions leaves
// MaxRecordBytes zero.
const DefaultMaxRecordBytes = 1 << 20

// RecordFileFormat tells a record file by its key: .jsonl, .ndjson or .csv,
// each optionally followed by .gz, in any letter case. ok is false for any
// other key (a single input).
func RecordFileFormat(key string) (f RecordFormat, gzipped bool, ok bool) {
	k := strings.ToLower(key)
	if base, cut := strings.CutSuffix(k, ".gz"); cut {
		k, gzipped = base, true
	}
	switch {
	case strings.HasSuffix(k, ".jsonl"), strings.HasSuffix(k, ".ndjson"):
		return FormatJSONL, gzipped, true
	case strings.HasSuffix(k, ".csv"):
		return FormatCSV, gzipped, true
	}
	return "", false, false
}

// Record is one record of a record file.
type Record struct {
	// Num is the 1-based record number; blank lines and the CSV header are
	// not records.
	Num int64
	// ID is the record's id as JSON: a JSONL record's "id" (a string or a
	// number, copied as written), a CSV record's id cell as a JSON string,
	// else Num as a JSON number.
	ID json.RawMessage
	// Input is what an inline job's input would be: Features (the bytes
	// {"features": ...}, a CSV row's as an array in feature order), S3,
	// Data, Text (a JSONL "text", a CSV "text" column) or Tensors. It is
	// zero when Err is set.
	Input Input
	// Entity keys the record into the model's feature source: a JSONL
	// record's "entity", a CSV record's key cell (RecordReaderOptions.
	// EntityKey) as {key: cell}; nil when absent.
	Entity map[string]any
	// Err is a *Error when this record cannot be used; the reader goes on
	// with the next record.
	Err error
	// End is the offset just past this record, its line end included, in
	// the decompressed stream: a reader resumed at End (with NextNum Num+1)
	// continues with the next record.
	End int64
}

// RecordReaderOptions configure a RecordReader.
type RecordReaderOptions struct {
	Format  RecordFormat
	Gzipped bool
	// Features are the model's feature names (manifest preprocess.features):
	// CSV columns are matched to them by name, in any order, extra columns
	// ignored. Nil takes every column but id, in order.
	Features []string
	// Offset resumes a read: the input starts at byte Offset of the
	// decompressed content (for a plain file the caller used a Range GET).
	// For a gzipped file the caller passes the whole object and the reader
	// decompresses and discards Offset bytes first (gzip cannot seek).
	Offset int64
	// NextNum is the number of the first record read; 0 means 1.
	NextNum int64
	// Header is a CSV file's header as Header() returned it before;
	// required to resume a CSV at Offset > 0.
	Header []string
	// EntityKey is the model's feature source key attribute (manifest
	// feature_source.key; "" without one): a CSV column so named holds each
	// row's entity, as a string, and is no feature.
	EntityKey string
	// Stored are the features the feature source holds: a CSV may lack
	// their columns, and an empty cell in one leaves the feature to the
	// source. With a feature source a CSV row becomes {"features": {...}}
	// by name, so the stored features merge into it.
	Stored []string
	// MaxRecordBytes bounds one record (its line end excluded): a longer one
	// is one input_too_large record, skipped without being buffered whole.
	// 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// RecordReader splits a record file into Records, one at a time.
type RecordReader struct {
	opt   RecordReaderOptions
	src   *recordSource
	num   int64 // the number of the next record
	err   error // sticky stream error
	csv   *csvLayout
	ready bool // the gzip stream is open and Offset skipped
}

// NewRecordReader reads the records of r. It fails only for bad options;
// everything about the content is reported by Next.
func NewRecordReader(r io.Reader, opt RecordReaderOptions) (*RecordReader, error) {
	switch {
	case opt.Format != FormatJSONL && opt.Format != FormatCSV:
		return nil, fmt.Errorf("record reader: unknown format %q (want %q or %q)", opt.Format, FormatJSONL, FormatCSV)
	case opt.Offset < 0 || opt.NextNum < 0 || opt.MaxRecordBytes < 0:
		return nil, fmt.Errorf("record reader: negative Offset, NextNum or MaxRecordBytes")
	case opt.Format == FormatCSV && opt.Offset > 0 && opt.Header == nil:
		return nil, fmt.Errorf("record reader: resuming a CSV file at byte %d needs the Header read before", opt.Offset)
	}
	if opt.MaxRecordBytes == 0 {
		opt.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if opt.NextNum == 0 {
		opt.NextNum = 1
	}
	rr := &RecordReader{opt: opt, num: opt.NextNum, src: newRecordSource(r, opt)}
	if opt.Format == FormatCSV && opt.Offset > 0 {
		rr.csv = newCSVLayout(opt.Header, opt)
	}
	return rr, nil
}

// Header returns a CSV file's header row as read (nil for JSONL, and before
// the first Next).
func (rr *RecordReader) Header() []string {
	if rr.csv == nil {
		return nil
	}
	return rr.csv.header
}

// Next returns the next record, io.EOF after the last, or an error when
// the stream itself fails: a broken gzip stream is a malformed_job *Error
// naming gzip, a read error of the underlying reader is returned as-is so
// the caller can classify it, and a CSV header that cannot be read is a
// *Error. A record's own problems are in Record.Err, never here. After an
// error every call returns it again.
func (rr *RecordReader) Next() (Record, error) {
	if rr.err != nil {
		return Record{}, rr.err
	}
	rec, err := rr.next()
	if err != nil {
		rr.err = err
	}
	return rec, err
}

func (rr *RecordReader) next() (Record, error) {
	if !rr.ready {
		if err := rr.src.open(); err != nil {
			return Record{}, err
		}
		rr.ready = true
	}
	for {
		start := rr.src.off
		raw, tooLong, err := rr.src.record(rr.opt.Format == FormatCSV)
		if err != nil {
			return Record{}, err
		}
		if start == 0 {
			raw = bytes.TrimPrefix(raw, utf8BOM)
		}
		if !tooLong && isBlank(raw) {
			continue
		}
		if rr.opt.Format == FormatCSV && rr.csv == nil { // the header row
			if err := rr.readHeader(raw, tooLong); err != nil {
				return Record{}, err
			}
			continue
		}
		r := Record{Num: rr.num, End: rr.src.off}
		rr.num++
		switch {
		case tooLong:
			r.Err = Errorf(CodeInputTooLarge, "record %d is longer than %d bytes", r.Num, rr.opt.MaxRecordBytes)
		case rr.opt.Format == FormatCSV:
			r.ID, r.Input, r.Entity, r.Err = rr.csv.record(raw, r.Num)
		default:
			r.ID, r.Input, r.Entity, r.Err = jsonlRecord(raw, r.Num)
		}
		if r.ID == nil {
			r.ID = strconv.AppendInt(nil, r.Num, 10)
		}
		return r, nil
	}
}

func (rr *RecordReader) readHeader(raw []byte, tooLong bool) error {
	if tooLong {
		return Errorf(CodeInputTooLarge, "the CSV header is longer than %d bytes", rr.opt.MaxRecordBytes)
	}
	cells, err := splitCSV(raw, nil, nil)
	if err != nil {
		return prefixErr(err, "CSV header")
	}
	header := make([]string, len(cells))
	for i, c := range cells {
		header[i] = string(c)
	}
	rr.csv = newCSVLayout(header, rr.opt)
	return nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// isBlank reports whether a line holds only spaces, tabs and line ends.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
