package e2e

import (
	"encoding/json"
	"io"
	"maps"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

var irisLabels = map[string]bool{"setosa": true, "versicolor": true, "virginica": true}

// checkIris verifies an iris item: SUCCEEDED with a known label whose
// score is its probability, probabilities summing to one.
func (s *system) checkIris(id string, r *store.Record) {
	s.t.Helper()
	if r.Status != store.StatusSucceeded || r.Model != "iris-rf" || r.Input != "inline" {
		s.t.Errorf("iris job %s: status %s, model %q, input %q; want SUCCEEDED iris-rf inline (error %+v)", id, r.Status, r.Model, r.Input, r.Error)
		return
	}
	label, _ := r.Output["label"].(string)
	probs, _ := r.Output["probabilities"].(map[string]any)
	score, _ := r.Output["score"].(float64)
	sum := 0.0
	for _, p := range probs {
		f, _ := p.(float64)
		sum += f
	}
	if !irisLabels[label] || len(probs) != 3 || math.Abs(sum-1) > 1e-3 || probs[label] != score {
		s.t.Errorf("iris job %s: output %v is not a label with its probabilities", id, r.Output)
	}
	if r.Metadata["source"] != "e2e" {
		s.t.Errorf("iris job %s: metadata %v was not copied", id, r.Metadata)
	}
}

// ocrText returns an OCR item's recognised text after checking its shape.
func (s *system) ocrText(o object, r *store.Record) string {
	s.t.Helper()
	want := "s3://" + s.spec.InputBucket + "/" + o.Key
	if r.Status != store.StatusSucceeded || r.Model != "ppocr-rec" || r.Input != want {
		s.t.Errorf("OCR job %s: status %s, model %q, input %q; want SUCCEEDED ppocr-rec %q (error %+v)", o.JobID, r.Status, r.Model, r.Input, want, r.Error)
		return ""
	}
	text, _ := r.Output["text"].(string)
	return text
}

// checkSucceeded checks that every iris job and every OCR object finished
// SUCCEEDED with a well-formed output.
func (s *system) checkSucceeded(irisIDs []string, objs []object, recs map[string]*store.Record) {
	s.t.Helper()
	for _, id := range irisIDs {
		s.checkIris(id, recs[id])
	}
	for _, o := range objs {
		s.ocrText(o, recs[o.JobID])
	}
}

// checkOutputObject reads an item's full output from the results bucket.
func (s *system) checkOutputObject(id string, r *store.Record) {
	s.t.Helper()
	if b, _ := json.Marshal(r.Output); len(b) <= store.MaxInlineOutputBytes && r.Output["truncated"] == nil {
		// The whole output fits the item: it is there, and no object is.
		if r.OutputURI != "" || len(r.Output) == 0 {
			s.t.Errorf("job %s: output %v, output_uri %q: want the whole output inline and no object", id, r.Output, r.OutputURI)
		}
		return
	}
	prefix := "s3://" + s.spec.ResultsBucket + "/"
	if !strings.HasPrefix(r.OutputURI, prefix) {
		s.t.Errorf("job %s: output_uri %q is not in %s", id, r.OutputURI, prefix)
		return
	}
	o, err := jobs.ParseS3URI(r.OutputURI)
	if err != nil {
		s.t.Errorf("job %s: output_uri: %v", id, err)
		return
	}
	out, err := s.s3.GetObject(s.ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
	if err != nil {
		s.t.Errorf("job %s: get %s: %v", id, r.OutputURI, err)
		return
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	var full struct {
		JobID  string         `json:"job_id"`
		Output map[string]any `json:"output"`
	}
	if err := json.Unmarshal(b, &full); err != nil || full.JobID != id || len(full.Output) == 0 {
		s.t.Errorf("job %s: output object %s = %.200s (%v)", id, r.OutputURI, b, err)
	}
}

// checkOncePerJob asserts that each job ran inference exactly once: one
// SUCCEEDED log line, and an item claimed once.
func (s *system) checkOncePerJob(ids []string, recs map[string]*store.Record, wantAttempts int) {
	s.t.Helper()
	lines := s.succeededLines()
	bad := 0
	for _, id := range ids {
		n, r := lines[id], recs[id]
		if n != 1 || (wantAttempts > 0 && r.Attempts != wantAttempts) {
			bad++
			if bad <= 10 {
				s.t.Errorf("job %s: %d SUCCEEDED log lines, attempts %d; want 1 line, attempts %d", id, n, r.Attempts, wantAttempts)
			}
		}
	}
	if bad > 0 {
		s.t.Errorf("%d of %d jobs did not run exactly once", bad, len(ids))
	}
}

// checkNoDoubleOutcome asserts that no job's outcome was stored twice: at
// most one SUCCEEDED log line per job. It is the guarantee that holds when
// responses get lost: a completion whose answer was lost and whose retry
// ran out of time is logged RETRY, then the redelivery finds the job done.
func (s *system) checkNoDoubleOutcome(ids []string) (unlogged int) {
	s.t.Helper()
	lines := s.succeededLines()
	for _, id := range ids {
		switch n := lines[id]; {
		case n > 1:
			s.t.Errorf("job %s: %d SUCCEEDED log lines, want at most 1", id, n)
		case n == 0:
			unlogged++
		}
	}
	return unlogged
}

// checkMetrics parses every EMF document the function wrote (failing on
// the first that breaks the specification's rules) and checks that the
// totals add up: JobsSucceeded is the SUCCEEDED items of the run, and
// Errors per error_code are the DLQ entries per code.
func (s *system) checkMetrics(recs map[string]*store.Record, dlq map[string][]sqstypes.Message) {
	s.t.Helper()
	docs, err := metrics.Parse(strings.NewReader(s.logs.String()))
	if err != nil {
		s.t.Fatalf("EMF: %v", err)
	}
	sum := metrics.Summarize(docs, metrics.DefaultNamespace)
	if sum.Invocations == 0 {
		s.t.Fatalf("no EMF invocation documents in the function's output")
	}
	succeeded := 0
	for _, r := range recs {
		if r != nil && r.Status == store.StatusSucceeded {
			succeeded++
		}
	}
	if got := int(sum.Totals["JobsSucceeded"]); got != succeeded {
		s.t.Errorf("EMF JobsSucceeded sums to %d, the run has %d SUCCEEDED items", got, succeeded)
	}
	byCode := map[string]float64{}
	for _, msgs := range dlq {
		for _, m := range msgs {
			byCode[attr(m, "error_code")]++
		}
	}
	if !maps.Equal(byCode, sum.Errors) {
		s.t.Errorf("EMF Errors by code %v, DLQ entries by code %v", sum.Errors, byCode)
	}
	s.t.Logf("EMF: %d documents, %d invocations, %.0f inferences", sum.Documents, sum.Invocations, sum.Inferences())
}
