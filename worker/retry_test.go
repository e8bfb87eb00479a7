package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

func TestRetryDelay(t *testing.T) {
	c := Config{RetryBase: 10 * time.Second, RetryMax: 15 * time.Minute}
	tests := []struct {
		receives int
		lo, hi   time.Duration
	}{
		{0, 5 * time.Second, 15 * time.Second}, // no count: as the first receive
		{1, 5 * time.Second, 15 * time.Second},
		{2, 10 * time.Second, 30 * time.Second},
		{4, 40 * time.Second, 120 * time.Second},
		{8, 7 * time.Minute, 15 * time.Minute},
		{1000, 7 * time.Minute, 15 * time.Minute}, // capped, never past RetryMax
	}
	for _, tc := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.retryDelay(tc.receives)
			if d < tc.lo || d > tc.hi {
				t.Fatalf("retryDelay(%d) = %s, want within [%s, %s]", tc.receives, d, tc.lo, tc.hi)
			}
			seen[d] = true
		}
		if len(seen) < 5 {
			t.Errorf("retryDelay(%d): %d distinct values in 50: no jitter", tc.receives, len(seen))
		}
	}
}

func TestLoadConfigRetryBackoff(t *testing.T) {
	env := map[string]string{"BATCHINFER_MODELS": "m", "BATCHINFER_RESULTS_TABLE": "t", "BATCHINFER_RESULTS_BUCKET": "b", "BATCHINFER_DLQ_URL": "d"}
	get := func(k string) string { return env[k] }
	c, err := LoadConfig(get)
	if err != nil || c.RetryBase != DefaultRetryBase || c.RetryMax != DefaultRetryMax {
		t.Fatalf("defaults: %v %v %v", c.RetryBase, c.RetryMax, err)
	}
	env["BATCHINFER_RETRY_MAX"] = "13h"
	if _, err := LoadConfig(get); err == nil || !strings.Contains(err.Error(), "BATCHINFER_RETRY_MAX") {
		t.Fatalf("13h accepted: %v", err)
	}
}

// throttled fails every Put of one job with throttling, as DynamoDB does
// to a hot partition.
type throttled struct {
	Results
	job string
}

func (r throttled) Put(ctx context.Context, rec store.Record, since time.Time) (store.PutResult, error) {
	if rec.JobID == r.job {
		return store.PutResult{}, jobs.Errorf(jobs.CodeThrottled, "injected throttling")
	}
	return r.Results.Put(ctx, rec, since)
}

// TestThrottledMessageComesBackAfterItsBackoff measures it: a message the
// invocation hands back is visible again after its backoff (RetryBase 1 s,
// ±50%), not after the queue's 30 s visibility timeout; its neighbour is
// done.
func TestThrottledMessageComesBackAfterItsBackoff(t *testing.T) {
	f := newFixture(t)
	f.w.Results = throttled{Results: f.table, job: "hot"}
	f.send(inlineJob("hot", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), inlineJob("cool", "iris-rf", features(5.1, 3.5, 1.4, 0.2)))
	got, _, err := f.queue().ReceiveRecords(f.ctx, store.BatchOptions{Max: 2, Window: time.Second, IdleWait: time.Second}, f.prov.QueueARN)
	if err != nil || len(got) != 2 {
		t.Fatalf("receive: %d %v", len(got), err)
	}
	// The throttling outlasts the invocation: two seconds of retries.
	ctx, cancel := context.WithTimeout(f.ctx, 2*time.Second)
	defer cancel()
	retried := f.invoke(ctx, got...)
	handedBack := time.Now()
	if len(retried) != 1 || f.item("cool") == nil {
		t.Fatalf("retried %v, cool %+v: want only the throttled message back", retried, f.item("cool"))
	}
	var back []events.SQSMessage
	for time.Since(handedBack) < 20*time.Second && len(back) == 0 {
		back, _, err = f.queue().ReceiveRecords(f.ctx, store.BatchOptions{Max: 1, IdleWait: time.Second}, f.prov.QueueARN)
		if err != nil {
			t.Fatal(err)
		}
	}
	after := time.Since(handedBack)
	t.Logf("the throttled message came back %s after it was handed back (visibility timeout 30s)", after.Round(10*time.Millisecond))
	switch {
	case len(back) != 1 || back[0].MessageId != retried[0]:
		t.Fatalf("not back within 20 s: %v", back)
	case after > 3*time.Second:
		t.Errorf("back after %s, want ≤ 1.5 s backoff (+ polling)", after)
	case back[0].Attributes["ApproximateReceiveCount"] != "2":
		t.Errorf("receive count %s, want 2", back[0].Attributes["ApproximateReceiveCount"])
	}
}
