package e2e

import (
	"testing"
	"time"
)

// TestMixedJobs sends 400 inline iris jobs and 100 rendered text lines
// (uploaded, then notified in S3's format) through the whole system: every
// job ends with one SUCCEEDED item whose output is right, and the queue is
// drained.
func TestMixedJobs(t *testing.T) {
	s := newSystem(t, sysOptions{})
	objs := s.uploadLines(100, 3)
	irisIDs, irisBodies := irisJobs("iris", 400)

	// Interleaved so invocations mix both models.
	ids, bodies := s.mixed(irisIDs, irisBodies, objs, 4)
	start := time.Now()
	s.send(bodies...)
	recs := s.waitFinal(ids, 90*time.Second)
	t.Logf("500 jobs final after %s", time.Since(start).Round(time.Millisecond))

	for _, id := range irisIDs {
		s.checkIris(id, recs[id])
	}
	correct := 0
	for _, o := range objs {
		got := s.ocrText(o, recs[o.JobID])
		if got == o.Text {
			correct++
		} else {
			t.Logf("OCR %q: got %q", o.Text, got)
		}
	}
	if acc := float64(correct) / float64(len(objs)); acc < 0.95 {
		t.Errorf("OCR matched %d of %d rendered lines (%.0f%%), want ≥ 95%%", correct, len(objs), 100*acc)
	}
	for _, id := range []string{irisIDs[0], irisIDs[399], objs[0].JobID, objs[99].JobID} {
		s.checkOutputObject(id, recs[id])
	}
	s.checkOncePerJob(ids, recs, 1)
	s.waitQueueDrained(10 * time.Second)
	dl := s.deadLetters()
	if len(dl) != 0 {
		t.Errorf("%d jobs in the DLQ, want none", len(dl))
	}
	s.checkMetrics(recs, dl)
}
