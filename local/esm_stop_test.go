package local

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// runESM runs e until the returned stop is called; stop waits for Run and
// returns how long that took.
func runESM(t *testing.T, e *ESM) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() time.Duration {
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return 30 s after its context ended")
		}
		return time.Since(start)
	}
}

// waitForFile waits until the handler has logged an event (its first act).
func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the function never received a batch")
}

// TestESMStopFinishesTheBatchInFlight: stopped while the function runs a
// batch that ends within the grace period, the ESM lets it finish and
// deletes it: nothing comes back.
func TestESMStopFinishesTheBatchInFlight(t *testing.T) {
	r, log := startLoggingRIE(t)
	q := newQueue(t, time.Minute)
	q.send(t, "wait-1", "wait-2", "wait-3")
	e := q.esm(r, 10, 300*time.Millisecond)
	e.Grace = 10 * time.Second
	stop := runESM(t, e)
	waitForFile(t, log)
	took := stop()
	if took < 500*time.Millisecond || took > 8*time.Second {
		t.Errorf("stop took %s; want the batch's 1.5 s of work, not the grace", took)
	}
	q.wantEmpty(t, "after a batch finished within the grace period")
}

// TestESMStopHandsBackWhatItHolds: stopped while the function is stuck on
// a batch, the ESM waits out the grace period, then hands the batch back:
// its messages are visible again at once (the queue's visibility timeout
// is a minute), received once so far, and a new ESM takes them up.
func TestESMStopHandsBackWhatItHolds(t *testing.T) {
	r, log := startLoggingRIE(t)
	q := newQueue(t, time.Minute)
	ids := q.send(t, "hang1-a", "hang1-b")
	e := q.esm(r, 10, 300*time.Millisecond)
	e.Grace = time.Second
	stop := runESM(t, e)
	waitForFile(t, log)
	if took := stop(); took < time.Second || took > 10*time.Second {
		t.Errorf("stop took %s; want about the 1 s grace", took)
	}
	back := q.receiveAll(t, 2, 3*time.Second)
	var got []string
	for _, m := range back {
		got = append(got, aws.ToString(m.MessageId))
		if c := m.Attributes["ApproximateReceiveCount"]; c != "2" {
			t.Errorf("message %s: receive count %s, want 2 (one delivery before the stop)", aws.ToString(m.Body), c)
		}
	}
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Fatalf("visible right after the stop: %v, want the held batch %v", got, ids)
	}
	// Hand them back again and let a fresh ESM (and function process)
	// finish them: "hang1" succeeds on a second delivery.
	for _, m := range back {
		if _, err := q.sqs.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	r2 := startRIE(t, 0)
	stop2 := runESM(t, q.esm(r2, 10, 300*time.Millisecond))
	q.drain(t, 20*time.Second)
	stop2()
	q.wantEmpty(t, "after the restart")
	events, _ := os.ReadFile(log)
	if n := strings.Count(string(events), "\n"); n != 1 {
		t.Errorf("the stuck function saw %d invocations, want 1", n)
	}
}
