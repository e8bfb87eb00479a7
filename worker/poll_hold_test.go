package worker

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/faultproxy"
	"github.com/batchinfer/batchinfer/store"
)

// slowInputs makes every input fetch of the fixture's worker take d (a
// proxy in front of S3), and returns the proxy to count the fetches.
func (f *fixture) slowInputs(d time.Duration) *faultproxy.Proxy {
	f.t.Helper()
	p := faultproxy.StartT(f.t, emu.S3URL, faultproxy.Options{Delay: func(svc string) time.Duration {
		if svc == faultproxy.S3 {
			return d
		}
		return 0
	}})
	c := s3.NewFromConfig(emu.Config(f.ctx), func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = aws.String(p.URL()), true, true
	})
	f.w.Inputs = &store.Inputs{Client: c, MaxBytes: f.w.Config.MaxInputBytes}
	return p
}

// s3IrisJobs uploads n iris feature files and returns their job bodies and ids.
func (f *fixture) s3IrisJobs(n int) (bodies, ids []string) {
	for i := range n {
		id := "slow-" + strconv.Itoa(i)
		key := id + ".json"
		f.put(f.spec.InputBucket, key, []byte(`{"features":[6.7,3.0,5.2,2.3]}`))
		ids = append(ids, id)
		bodies = append(bodies, inlineJob(id, "iris-rf", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/" + key}))
	}
	return bodies, ids
}

// queueCounts is (visible, hidden) on the fixture's jobs queue.
func (f *fixture) queueCounts() (visible, hidden int) {
	f.t.Helper()
	b, err := f.queue().Backlog(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.Visible, b.InFlight
}

// TestPollerHeartbeatOutlastsTheVisibilityTimeout: a job more than twice
// as long as its 3 s visibility timeout is delivered once (its input is
// fetched once, though a second batch slot is free to take a redelivery),
// because the heartbeat keeps extending it; once done, it is deleted.
func TestPollerHeartbeatOutlastsTheVisibilityTimeout(t *testing.T) {
	f := newFixture(t)
	proxy := f.slowInputs(7 * time.Second)
	bodies, ids := f.s3IrisJobs(1)
	f.send(bodies...)
	c := f.pollConfig()
	c.VisibilityTimeout, c.Concurrency, c.Window = 3*time.Second, 2, 0
	p := NewPoller(f.w, f.queue(), c)
	if !f.runUntil(p, 20*time.Second, func() bool { return f.allStatus("SUCCEEDED", ids...) }) {
		t.Fatalf("the slow job did not succeed; log:\n%s", f.logBuf.String())
	}
	if n := proxy.Counts()[faultproxy.S3].Calls; n != 1 {
		t.Errorf("the input was fetched %d times: the job was delivered again while it ran", n)
	}
	if got := strings.Count(f.logBuf.String(), "visibility heartbeat failed"); got != 0 {
		t.Errorf("%d heartbeat failures logged", got)
	}
	time.Sleep(3500 * time.Millisecond) // past any visibility left
	if v, h := f.queueCounts(); v+h != 0 {
		t.Fatalf("%d visible, %d hidden after the job finished; want its message deleted", v, h)
	}
}

// TestPollerStopHandsBackWhatItHolds: stopped while its batch waits on
// slow inputs, the poller waits out its 1 s grace and hands the batch
// back: visible again at once, though the queue's visibility timeout is
// 30 s. A new poller finishes every job, each with one item.
func TestPollerStopHandsBackWhatItHolds(t *testing.T) {
	f := newFixture(t)
	f.slowInputs(8 * time.Second)
	bodies, ids := f.s3IrisJobs(4)
	f.send(bodies...)
	c := f.pollConfig()
	c.VisibilityTimeout, c.Grace, c.Window = 0, time.Second, 300*time.Millisecond // the queue's 30 s
	p := NewPoller(f.w, f.queue(), c)

	ctx, cancel := context.WithCancel(f.ctx)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if _, hidden := f.queueCounts(); hidden == len(ids) {
			break
		}
	}
	time.Sleep(time.Second) // past the window: the batch is in the worker, its inputs on their way
	start := time.Now()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %s; want about the 1 s grace", took)
	}
	if !strings.Contains(f.logBuf.String(), `"batches_finished":false,"handed_back":4`) {
		t.Errorf("the stop did not hand back the batch in flight; log:\n%s", f.logBuf.String())
	}
	back, err := f.queue().Receive(f.ctx, 10, time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedBodies(back); !slices.Equal(got, sortedStrings(bodies)) {
		t.Fatalf("visible right after the stop: %d messages, want the 4 held ones", len(got))
	}
	for _, m := range back {
		if c := m.Attributes["ApproximateReceiveCount"]; c != "2" {
			t.Errorf("receive count %s after hand-back, want 2", c)
		}
	}
	// The jobs' first run is still waiting on S3 in the background; a new
	// poller with fast inputs finishes them, and each job has one item.
	time.Sleep(time.Second) // let the 1 s visibility of our look lapse
	f.w.Inputs = &store.Inputs{Client: f.s3, MaxBytes: f.w.Config.MaxInputBytes}
	if !f.runUntil(f.poller(), 20*time.Second, func() bool { return f.allStatus("SUCCEEDED", ids...) }) {
		t.Fatalf("the handed-back jobs were not finished by a new poller; log:\n%s", f.logBuf.String())
	}
	if dl := f.deadLetters(); len(dl) != 0 {
		t.Errorf("dead letters after a clean stop: %v", dl)
	}
	for _, id := range ids {
		if rec := f.item(id); rec.Output["label"] != "virginica" {
			t.Errorf("%s: %+v", id, rec)
		}
	}
}

func sortedBodies(msgs []sqstypes.Message) []string { return sortedStrings(bodiesOf(msgs)) }

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
