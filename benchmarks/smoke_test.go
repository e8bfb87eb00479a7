package benchmarks

import (
	"fmt"
	"math"
	"testing"

	"github.com/batchinfer/batchinfer/jobs"
)

// TestNaiveMatchesWorker keeps the comparison honest: on the same 10 jobs
// (iris inline and OCR from S3, mixed in one event) the naive handlers
// write the same results as the worker, so the benchmark compares two ways
// of doing one job, not two jobs.
func TestNaiveMatchesWorker(t *testing.T) {
	r := newRig(t, nil)
	irisEv := irisEvents(t, "smoke", 5, 5)
	ocrEv, _ := r.ocrEvents(t, "smoke", 5, 5)
	// One event holding both kinds: the worker must batch per model.
	payload := mergeEvents(t, irisEv[0], ocrEv[0])
	inv, err := jobs.DecodeInvocation(payload)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range r.handlers() {
		invoke(t, h, payload)
	}
	n := 0
	for _, m := range inv.Messages {
		for _, j := range m.Jobs {
			n++
			w := r.record(t, "worker", j.ID)
			for _, side := range []string{"naive", "item"} {
				o := r.record(t, side, j.ID)
				if w.Status != "SUCCEEDED" || o.Status != "SUCCEEDED" {
					t.Fatalf("%s: worker %s, %s %s", j.ID, w.Status, side, o.Status)
				}
				if w.Model != o.Model || w.Input != o.Input {
					t.Errorf("%s: worker ran %s on %s, %s ran %s on %s", j.ID, w.Model, w.Input, side, o.Model, o.Input)
				}
				if err := sameOutput(w.Output, o.Output); err != nil {
					t.Errorf("%s: %s differs from the worker: %v", j.ID, side, err)
				}
				if wantURI := side == "naive"; (o.OutputURI != "") != wantURI {
					t.Errorf("%s: %s output_uri %q", j.ID, side, o.OutputURI)
				}
			}
			if w.OutputURI != "" {
				t.Errorf("%s: the worker wrote output_uri %q for an output that fits the item", j.ID, w.OutputURI)
			}
		}
	}
	if n != 10 {
		t.Fatalf("compared %d jobs, want 10", n)
	}
	for _, side := range []string{"worker", "naive", "item"} {
		if got := r.succeeded(t, side); got != 10 {
			t.Errorf("%s table holds %d SUCCEEDED items, want 10", side, got)
		}
	}
}

// sameOutput compares two result summaries: strings (labels, OCR text)
// exactly, numbers to 1e-3, except OCR's confidence to 0.05: the worker
// pads OCR rows of one batch to a shared width, and the extra blank steps
// move the confidence by up to about 0.02 (seen here), never the text.
func sameOutput(a, b any) error { return sameValue("", a, b) }

func sameValue(key string, a, b any) error {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return fmt.Errorf("%v vs %v", a, b)
		}
		for k, x := range av {
			if err := sameValue(k, x, bv[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Errorf("%v vs %v", a, b)
		}
		for i := range av {
			if err := sameValue(key, av[i], bv[i]); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case float64:
		tol := 1e-3
		if key == "confidence" {
			tol = 0.05
		}
		bv, ok := b.(float64)
		if !ok || math.Abs(av-bv) > tol {
			return fmt.Errorf("%v vs %v", a, b)
		}
		return nil
	}
	if a != b {
		return fmt.Errorf("%v vs %v", a, b)
	}
	return nil
}
