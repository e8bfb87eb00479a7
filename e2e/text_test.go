package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/readback"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textmodels"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// TestTextJobsThroughTheBinary runs Hugging Face exports with no manifest
// of ours (setup's minilm-sentiment and minilm-embed) in the real binary
// under RIE: inline text jobs, .txt objects dropped into the inbox (one not
// UTF-8), and a JSONL record file of 100,000 texts whose embeddings go to
// the Parquet side output. The answers equal what `batchinfer predict`
// gives for the same texts.
func TestTextJobsThroughTheBinary(t *testing.T) {
	s := newSystem(t, sysOptions{
		Models: []string{"text/minilm-sentiment", "text/minilm-embed"},
		Env:    []string{"BATCHINFER_ROUTES=reviews/=minilm-sentiment,batches/=minilm-embed", "BATCHINFER_VECTORS_JSONL=off"},
	})
	// No emoji inline: fauxqs refuses characters beyond U+FFFD in a
	// message body (SQS takes them); the .txt drop carries some.
	reviews := []string{"Lovely service 👍🏽 thank you!", "The parcel arrived two days late.", "Crème brûlée à São Paulo", "東京の配送は速かった。"}
	var ids, bodies []string
	for i, text := range reviews[1:] {
		id := fmt.Sprintf("review-%d", i)
		body, err := jobs.InlineJob{JobID: id, Model: "minilm-sentiment", Text: &text}.Body()
		if err != nil {
			t.Fatal(err)
		}
		ids, bodies = append(ids, id), append(bodies, body)
	}
	good := s.putObject(s.spec.InputBucket, "reviews/ticket 1.txt", []byte(reviews[0]))
	bad := s.putObject(s.spec.InputBucket, "reviews/ticket 2.txt", []byte("caf\xe9 au lait"))
	const n = 100_000
	var file bytes.Buffer
	for i := range n {
		fmt.Fprintf(&file, `{"id": "t%d", "text": "order %d arrived %s"}`+"\n", i, i, []string{"late", "early", "broken", "fine"}[i%4])
	}
	records := s.putLarge(s.spec.InputBucket, "batches/texts.jsonl", file.Bytes())
	start := time.Now()
	s.send(append(bodies, notification(s.spec.InputBucket, good), notification(s.spec.InputBucket, bad), notification(s.spec.InputBucket, records))...)
	all := append(append([]string{}, ids...), good.JobID, bad.JobID, records.JobID)
	recs := s.waitFinal(all, 90*time.Second)
	t.Logf("%d jobs (one a file of %d texts) final after %s", len(all), n, time.Since(start).Round(time.Millisecond))

	want := predictTexts(t, textmodels.Dir(t, "minilm-sentiment"), reviews)
	for i, id := range ids {
		checkSame(t, id, recs[id], want[i+1])
	}
	checkSame(t, "the .txt drop", recs[good.JobID], want[0])
	if r := recs[bad.JobID]; r.Status != store.StatusFailed || r.Error == nil || r.Error.Code != jobs.CodeInvalidText {
		t.Errorf("a .txt that is not UTF-8: %+v, want FAILED invalid_text", r)
	}
	r := recs[records.JobID]
	if r.Status != store.StatusSucceeded || fmt.Sprint(r.Output["records"], "/", r.Output["failed"]) != fmt.Sprint(n, "/0") {
		t.Fatalf("record file: %+v", r)
	}
	s.checkTextLines(r.OutputURI, n)
	s.checkParquetVectors(fmt.Sprint(r.Output["vectors_uri"]), n)
}

// predictTexts is `batchinfer predict --model DIR -` on {"text"} lines.
func predictTexts(t *testing.T, dir string, texts []string) []map[string]any {
	t.Helper()
	var in strings.Builder
	for _, s := range texts {
		b, _ := json.Marshal(map[string]string{"text": s})
		in.Write(append(b, '\n'))
	}
	stdout, stderr, err := runBinary(t, []string{"ONNXRUNTIME_LIB=" + testenv.ORTLib(t)}, in.String(), "predict", "--model", dir, "-")
	if err != nil {
		t.Fatalf("predict: %v\n%s", err, stderr)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var l struct{ Output map[string]any }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Output == nil {
			t.Fatalf("predict line %q: %v", line, err)
		}
		out = append(out, l.Output)
	}
	return out
}

// checkSame wants a SUCCEEDED item whose output is predict's.
func checkSame(t *testing.T, what string, r *store.Record, want map[string]any) {
	t.Helper()
	if r.Status != store.StatusSucceeded {
		t.Errorf("%s: %s %+v", what, r.Status, r.Error)
		return
	}
	got, _ := json.Marshal(r.Output)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("%s: output %s, predict says %s", what, got, exp)
	}
}

// checkTextLines reads the record file's output: one line per text in
// order, each a 32-dim embedding's summary without the vector itself
// (BATCHINFER_VECTORS_JSONL=off: it is in the side output).
func (s *system) checkTextLines(uri string, n int) {
	s.t.Helper()
	s.checkOutputLines(uri, n, func(i int, b []byte) string {
		var line struct {
			ID     string
			Output map[string]any
		}
		if err := json.Unmarshal(b, &line); err != nil || line.ID != fmt.Sprint("t", i) ||
			line.Output["dim"] != float64(32) || line.Output["embedding"] != nil || line.Output["num_tokens"] == nil {
			return fmt.Sprintf("want id t%d, a 32-dim summary with its tokens and no vector (%v)", i, err)
		}
		return ""
	})
}

// checkParquetVectors reads every object under the vectors prefix: n rows
// in record order, each a unit vector of 32 floats.
func (s *system) checkParquetVectors(uri string, n int) {
	s.t.Helper()
	objs := readback.Prefix(s.t, s.ctx, s.s3, uri)
	if len(objs) == 0 {
		s.t.Fatalf("no vectors under %s", uri)
	}
	i := 0
	for _, data := range objs {
		ids, vecs := readback.Vectors(s.t, "parquet", data)
		for k, v := range vecs {
			var norm float64
			for _, x := range v {
				norm += float64(x) * float64(x)
			}
			if ids[k] != fmt.Sprint("t", i) || len(v) != 32 || norm < 0.999 || norm > 1.001 {
				s.t.Fatalf("vector %d: id %s, %d floats, norm² %v", i, ids[k], len(v), norm)
			}
			i++
		}
	}
	if i != n {
		s.t.Fatalf("%d vectors in %d objects, want %d", i, len(objs), n)
	}
}
