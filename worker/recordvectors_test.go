package worker

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/readback"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/vectors"
)

// textsJSONL is n JSONL text records for the embedding model; every 997th
// is a line that is not a record, so a few records fail.
func textsJSONL(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		if i%997 == 500 {
			b.WriteString(`{"id": "bad-` + fmt.Sprint(i) + `", "nothing": 1}` + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"id": "t%d", "text": "review %d: the parcel came %d days late and the box was %s"}`+"\n", i, i, i%9, []string{"fine", "crushed", "wet"}[i%3])
	}
	return b.Bytes()
}

// TestRecordFileOfTextsWritesVectors runs a text record file through
// invocations too short to finish it (so it is cut into parts and carried
// lines), in each format: every succeeded record's vector is in exactly
// one object under vectors_uri, in record order, equal to its JSONL line's
// embedding; with npy a failed record is a NaN row.
func TestRecordFileOfTextsWritesVectors(t *testing.T) {
	for _, format := range []string{"parquet", "npy"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.w.Config.Vectors = format
			f.w.Config.DeadlineMargin = 200 * time.Millisecond
			const n = 20_000
			key := "texts/reviews.jsonl"
			f.put(f.spec.InputBucket, key, textsJSONL(n))
			body := inlineJob("vec-"+format, "minilm-embed", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/" + key})
			var rec *store.Record
			for i := 0; i < 40; i++ {
				ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
				f.invoke(ctx, message(fmt.Sprintf("m%d", i), body, 1))
				cancel()
				if rec = f.item("vec-" + format); rec != nil && rec.Status == store.StatusSucceeded {
					break
				}
			}
			if rec == nil || rec.Status != store.StatusSucceeded {
				t.Fatalf("item %+v, want SUCCEEDED", rec)
			}
			if rec.Attempts < 2 {
				t.Logf("finished in one invocation (attempts %d): the segments are not exercised across invocations", rec.Attempts)
			}
			lines := f.outputLines(rec.OutputURI)
			uri, _ := rec.Output["vectors_uri"].(string)
			if len(lines) != n || uri == "" {
				t.Fatalf("%d lines, vectors_uri %q", len(lines), uri)
			}
			objs := readback.Prefix(t, f.ctx, f.s3, uri)
			t.Logf("%d attempts, %d vector objects", rec.Attempts, len(objs))
			var ids []string
			var vecs [][]float32
			for _, data := range objs {
				i, v := readback.Vectors(t, format, data)
				ids, vecs = append(ids, i...), append(vecs, v...)
			}
			k := 0
			for i, line := range lines {
				if _, failed := line["error"]; failed {
					if format == "npy" {
						if k >= len(vecs) || !math.IsNaN(float64(vecs[k][0])) {
							t.Fatalf("record %d failed but its npy row %d is not NaN", i, k)
						}
						k++
					}
					continue
				}
				out, _ := line["output"].(map[string]any)
				emb, ok := out["embedding"].([]any)
				if !ok || k >= len(vecs) {
					t.Fatalf("record %d: embedding %v, %d vectors", i, ok, len(vecs))
				}
				if format == "parquet" && ids[k] != line["id"] {
					t.Fatalf("vector %d is record %s, line %d is %v", k, ids[k], i, line["id"])
				}
				for d := range emb {
					if math.Abs(emb[d].(float64)-float64(vecs[k][d])) > 1e-6 {
						t.Fatalf("record %d dim %d: line %v, vector %v", i, d, emb[d], vecs[k][d])
					}
				}
				k++
			}
			if k != len(vecs) {
				t.Fatalf("%d vectors for %d records", len(vecs), k)
			}
		})
	}
}

// Only an embedding model's files get a side output, in the format the
// setting names, and none when it says off.
func TestVectorSinkChoice(t *testing.T) {
	byName := map[string]*model.Model{}
	for _, m := range models {
		byName[m.Name()] = m
	}
	for _, c := range []struct {
		model, setting string
		want           vectors.Format // "" for none
	}{
		{"minilm-embed", "", vectors.Parquet},
		{"minilm-embed", "npy", vectors.NPY},
		{"minilm-embed", "off", ""},
		{"iris-rf", "", ""},
	} {
		w := &Worker{Config: Config{Vectors: c.setting}}
		s := w.vectorSink(&task{model: byName[c.model]}, store.Progress{Key: "results/j.jsonl", Offset: 42})
		switch {
		case c.want == "" && s != nil:
			t.Errorf("%s with %q: a %s side output", c.model, c.setting, s.format)
		case c.want != "" && (s == nil || s.format != c.want || s.key() != "results/j.jsonl.vectors/00000000000000000042"+c.want.Ext()):
			t.Errorf("%s with %q: %+v, want %s", c.model, c.setting, s, c.want)
		}
	}
}
