package e2e

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// deliverTwice invokes two sandboxes with the same event at once: what
// SQS's at-least-once delivery does when two pollers receive one message.
// Each delivery would be deleted by its own receipt handle, so a message is
// retried only if both invocations asked for it: the answer is the
// intersection of their batchItemFailures.
func deliverTwice(t *testing.T, first, second invokeFunc) invokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var wg sync.WaitGroup
		var dupResp []byte
		var dupErr error
		wg.Go(func() { dupResp, dupErr = second(ctx, payload) })
		resp, err := first(ctx, payload)
		wg.Wait()
		if dupErr != nil {
			if ctx.Err() == nil {
				t.Errorf("duplicate delivery: %v", dupErr)
			}
			return resp, err
		}
		if err != nil {
			return dupResp, nil
		}
		var a, b events.SQSEventResponse
		if json.Unmarshal(resp, &a) != nil || json.Unmarshal(dupResp, &b) != nil {
			t.Errorf("unexpected responses %s and %s", resp, dupResp)
			return resp, err
		}
		inB := map[string]bool{}
		for _, f := range b.BatchItemFailures {
			inB[f.ItemIdentifier] = true
		}
		both := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, f := range a.BatchItemFailures {
			if inB[f.ItemIdentifier] {
				both.BatchItemFailures = append(both.BatchItemFailures, f)
			}
		}
		return json.Marshal(both)
	}
}

// TestDuplicateDeliveries sends every inline job twice and every S3
// notification twice, and delivers every SQS event to two of the four
// instances at once, with up to four batches in flight, so deliveries of
// one job really race between instances: each job still has one item, claimed once, and inference ran once
// per job (one SUCCEEDED line in the workers' logs).
func TestDuplicateDeliveries(t *testing.T) {
	s := newSystem(t, sysOptions{Duplicate: true, Concurrency: 4, BatchSize: 50})
	objs := s.uploadLines(20, 11)
	irisIDs, irisBodies := irisJobs("dup", 100)

	ids, bodies := s.mixed(irisIDs, irisBodies, objs, 5)
	// The same bodies again, as separate messages: producers retry sends
	// and S3 may notify twice.
	s.send(bodies...)
	s.send(bodies...)
	recs := s.waitFinal(ids, 90*time.Second)
	s.waitQueueDrained(30 * time.Second)
	s.checkSucceeded(irisIDs, objs, recs)
	s.checkOncePerJob(ids, recs, 1)

	// Every delivery reached a worker: four per job (two messages, each to
	// two sandboxes), all but one of them skipped.
	seen := map[string]int{}
	for _, l := range s.jobLines() {
		seen[l.JobID]++
	}
	for _, id := range ids {
		if seen[id] < 4 {
			t.Errorf("job %s logged %d times, want ≥ 4: the duplicates never reached the worker", id, seen[id])
		}
	}
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d jobs in the DLQ, want none", len(dl))
	}
}
