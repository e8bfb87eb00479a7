package e2e

import (
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/store"
)

// TestPagesDroppedIntoTheInbox uploads rendered pages (and a blank one)
// under a pages/ prefix routed to ppocr-page (BATCHINFER_ROUTES), with the
// S3 notifications S3 sends, which name no model: every page ends
// SUCCEEDED with its lines, read through the real binary under the runtime
// emulator.
func TestPagesDroppedIntoTheInbox(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"ppocr-rec", "iris-rf", "ppocr-page"}, Env: []string{"BATCHINFER_ROUTES=pages/=ppocr-page"}})
	pages := textimg.Pages(6, 23)
	pages = append(pages, textimg.Page{Name: "blank.png", Data: textimg.EncodePNG(textimg.Blank(600, 400)), W: 600, H: 400})

	var ids, bodies []string
	for _, p := range pages {
		obj := s.putObject(s.spec.InputBucket, "pages/"+p.Name, p.Data)
		ids, bodies = append(ids, obj.JobID), append(bodies, notification(s.spec.InputBucket, obj))
	}
	s.send(bodies...)
	recs := s.waitFinal(ids, 90*time.Second)

	var sum textimg.PageScore
	for i, p := range pages {
		r := recs[ids[i]]
		if string(r.Status) != string(store.StatusSucceeded) || r.Model != "ppocr-page" {
			t.Fatalf("%s: status %s, model %q (error %+v)", p.Name, r.Status, r.Model, r.Error)
		}
		got := textimg.ReadLines(r.Output)
		if n, _ := r.Output["line_count"].(float64); int(n) != len(got) && r.Output["lines"] != nil {
			t.Errorf("%s: line_count %v for %d lines", p.Name, r.Output["line_count"], len(got))
		}
		sc := textimg.Score(p, got)
		sum.Truth, sum.Got, sum.Matched = sum.Truth+sc.Truth, sum.Got+sc.Got, sum.Matched+sc.Matched
		s.checkOutputObject(ids[i], r)
	}
	if blank := recs[ids[len(ids)-1]]; blank.Output["line_count"] != 0.0 || blank.Output["text"] != "" {
		t.Errorf("blank page: output %v, want zero lines", blank.Output)
	}
	t.Logf("%d pages: read %d of %d lines exactly, %d lines in all", len(pages)-1, sum.Matched, sum.Truth, sum.Got)
	if sum.Matched < sum.Truth*9/10 || sum.Got > sum.Truth {
		t.Errorf("read %d of %d lines exactly (%d lines in all)", sum.Matched, sum.Truth, sum.Got)
	}
	s.checkOncePerJob(ids, recs, 1)
}
