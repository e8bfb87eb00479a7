package worker

import (
	"testing"

	"github.com/batchinfer/batchinfer/store"
)

// TestRedeliveryIsADuplicateAndRedriveReruns runs a mixed batch through
// Process: a body that is no job, a job for a model not served (both fail
// before the lookup) and an input that is no image (it fails in inference). Delivered again, nothing new
// reaches the DLQ: the outcomes are written. Moved back from the DLQ with
// the attributes the worker set (`dlq redrive`), the failed jobs run again
// and, their cause gone, replace the FAILED items; that redriven message
// delivered once more is a duplicate in turn.
func TestRedeliveryIsADuplicateAndRedriveReruns(t *testing.T) {
	f := newFixture(t)
	served := f.w.Engine
	f.serve(models[1:]...) // iris-rf is not served for now
	batch := func(receives int) {
		f.t.Helper()
		if retry := f.invoke(f.ctx,
			message("bad", `{"job_id": "bad-body", "input": {"nothing": 1}}`, receives),
			message("unserved", inlineJob("unserved", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), receives),
			message("notpng", inlineJob("notpng", "ppocr-rec", map[string]any{"data_base64": "aGVsbG8="}), receives),
		); len(retry) != 0 {
			t.Fatalf("retried %v; log:\n%s", retry, f.logBuf)
		}
	}
	batch(1)
	batch(2)
	dlq := &store.Queue{Client: f.sqs, URL: f.prov.DLQURL}
	dls, err := dlq.Peek(f.ctx, 10)
	if err != nil || len(dls) != 3 {
		t.Fatalf("dead letters after a redelivery: %d %v; want one each for bad-body, unserved and notpng", len(dls), err)
	}
	for _, id := range []string{"bad-body", "unserved", "notpng"} {
		if rec := f.item(id); rec == nil || rec.Status != store.StatusFailed {
			t.Fatalf("%s: %+v, want FAILED", id, rec)
		}
	}

	// The cause goes away; `dlq redrive` moves the dead letters back.
	f.w.Engine = served
	if moved, err := dlq.Redrive(f.ctx, f.queue(), 0); err != nil || moved != 3 {
		t.Fatalf("redrive: moved %d, %v", moved, err)
	}
	redriven := f.receiveAll(f.queue(), f.prov.QueueARN, 3)
	f.invoke(f.ctx, redriven...)
	if rec := f.item("unserved"); rec.Status != store.StatusSucceeded || rec.Output["label"] != "setosa" || rec.MessageID == "unserved" {
		t.Errorf("the redriven job: %+v, want SUCCEEDED by the redriven message", rec)
	}
	for _, id := range []string{"bad-body", "notpng"} {
		if rec := f.item(id); rec.Status != store.StatusFailed {
			t.Errorf("%s after its redrive: %+v, want FAILED again", id, rec)
		}
	}
	if again := f.deadLetters(); len(again) != 2 || again["unserved"].Body != nil {
		t.Errorf("dead letters of the redrive: %v, want bad-body and notpng again", again)
	}
	// The redriven messages delivered once more: their own outcomes stand.
	for i := range redriven {
		redriven[i].Attributes["ApproximateReceiveCount"] = "2"
	}
	f.invoke(f.ctx, redriven...)
	if again := f.deadLetters(); len(again) != 0 {
		t.Errorf("a redelivered redrive sent %d more dead letters", len(again))
	}
	if rec := f.item("unserved"); rec.Status != store.StatusSucceeded {
		t.Errorf("the rerun job after a redelivery: %+v", rec)
	}
}
