package worker

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/vectors"
)

// vectorSink writes a record file's embeddings as a binary side output
// beside its JSONL output: under OUTPUT_KEY.vectors/, one object per
// segment of records, named by the byte offset in the input where the
// segment starts (zero-padded, so the names sort in record order). A
// segment ends where a part of the JSONL output is committed or a paused
// file's lines are carried: each object is written before the progress that
// counts its records, and a segment run again after a crash rewrites the
// same name, so every record's vector is in exactly one object whatever
// the invocations did. Spark, DuckDB and pandas read the folder as one
// table (Parquet), or the NPY files in name order as one matrix.
type vectorSink struct {
	format vectors.Format
	keep   bool   // the JSONL lines keep their embeddings
	prefix string // the objects' key prefix, ending in "/"
	start  int64  // the input offset where the current segment starts
	w      vectors.Writer
	bytes  int64           // the segment's vector bytes so far
	buf    *vectors.Buffer // NPY: a seekable buffer
	pq     bytes.Buffer    // Parquet: written as it streams
}

// newVectorSink starts the segment at input offset start.
func newVectorSink(format vectors.Format, keep bool, outputKey string, start int64) *vectorSink {
	s := &vectorSink{format: format, keep: keep, prefix: outputKey + ".vectors/"}
	s.reset(start)
	return s
}

func (s *vectorSink) reset(start int64) {
	s.start, s.bytes = start, 0
	if s.format == vectors.NPY {
		s.buf = &vectors.Buffer{}
		w, _ := vectors.NewNPY(s.buf) // a Buffer never fails a write
		s.w = w
		return
	}
	s.pq.Reset()
	s.w = vectors.NewParquet(&s.pq)
}

// take moves a record's embedding into the segment and returns the output
// its JSONL line holds: without the embedding unless keep. A record
// without an output (it failed) gets no vector (Parquet) or a NaN row
// (NPY).
func (s *vectorSink) take(id json.RawMessage, out map[string]any) (map[string]any, error) {
	emb, ok := out["embedding"].([]float32)
	if !ok {
		return out, s.w.Skip(idString(id))
	}
	if err := s.w.Add(idString(id), emb); err != nil {
		return nil, err
	}
	s.bytes += 4 * int64(len(emb))
	if s.keep {
		return out, nil
	}
	trimmed := make(map[string]any, len(out))
	for k, v := range out {
		if k != "embedding" {
			trimmed[k] = v
		}
	}
	return trimmed, nil
}

// skip records a failed record: no vector (Parquet) or a NaN row (NPY).
// Both write to memory, which cannot fail.
func (s *vectorSink) skip(id json.RawMessage) { _ = s.w.Skip(idString(id)) }

// flush writes the segment's object (when it holds rows) and starts the
// next segment at input offset next.
func (s *vectorSink) flush(ctx context.Context, put func(ctx context.Context, key string, data []byte, contentType string) error, next int64) error {
	if s.w.Rows() > 0 {
		if err := s.w.Close(); err != nil {
			return fmt.Errorf("finish the vectors of records from offset %d: %w", s.start, err)
		}
		data := s.pq.Bytes()
		if s.buf != nil {
			data = s.buf.Bytes()
		}
		if err := put(ctx, s.key(), data, s.format.ContentType()); err != nil {
			return err
		}
	}
	s.reset(next)
	return nil
}

// vectorSink is the side output of t's record file, nil when its model is
// no embedding model or the vectors are off (the manifest's vectors, else
// BATCHINFER_VECTORS).
func (w *Worker) vectorSink(t *task, from store.Progress) *vectorSink {
	man := t.model.Manifest()
	if man.Task != model.TaskFeatureExtraction {
		return nil
	}
	setting := cmp.Or(man.Vectors, w.Config.Vectors)
	if setting == "off" {
		return nil
	}
	format, err := vectors.ParseFormat(setting)
	if err != nil {
		return nil // Load and Config refuse other values
	}
	return newVectorSink(format, !w.Config.JSONLWithoutVectors, from.Key, from.Offset)
}

// flushVectors writes the vectors of the records since the segment began
// and starts the next segment where the records run so far end.
func (fr *fileRun) flushVectors(ctx context.Context) error {
	if fr.vec == nil {
		return nil
	}
	return fr.vec.flush(ctx, func(ctx context.Context, key string, data []byte, contentType string) error {
		return store.Retry(ctx, func(ctx context.Context) error { return fr.w.Outputs.PutKey(ctx, key, data, contentType) })
	}, fr.cur.Offset)
}

// key names the current segment's object.
func (s *vectorSink) key() string { return fmt.Sprintf("%s%020d%s", s.prefix, s.start, s.format.Ext()) }

// idString is a record id as the Parquet id column holds it: a JSON
// string's text, a number's digits.
func idString(id json.RawMessage) string {
	var s string
	if json.Unmarshal(id, &s) == nil {
		return s
	}
	return string(id)
}
