package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/store"
)

// scheduledReprocess is the body EventBridge Scheduler sends (infra/stack
// ReprocessBody) once it has filled in the scheduled time.
func scheduledReprocess(since string, fired time.Time) string {
	b, _ := json.Marshal(map[string]any{"reprocess": map[string]any{
		"status": "FAILED", "since": since, "scheduled_time": fired.UTC().Format(time.RFC3339),
	}})
	return string(b)
}

// failNotified runs the S3 notification of bucket/key through the worker
// with the bucket not allowed, so its job ends FAILED bucket_not_allowed
// with updated_at = at; it returns the job id.
func (f *fixture) failNotified(bucket, key string, at time.Time) string {
	f.t.Helper()
	allowed := f.w.Config.InputBuckets
	f.w.Config.InputBuckets = nil
	f.table.Now = func() time.Time { return at }
	f.w.Now = f.table.Now // the worker stamps the completion it writes
	defer func() { f.w.Config.InputBuckets, f.table.Now, f.w.Now = allowed, nil, nil }()
	etag := f.etag(bucket, key)
	if retry := f.invoke(f.ctx, message("n-"+key, s3Notification(bucket, key, etag), 1)); len(retry) != 0 {
		f.t.Fatalf("notification of %s retried: %v", key, retry)
	}
	id := jobs.ObjectJobID(bucket, key, "", etag)
	if rec := f.item(id); rec == nil || rec.Status != "FAILED" || rec.Error.Code != jobs.CodeBucketNotAllowed {
		f.t.Fatalf("%s: %+v, want FAILED bucket_not_allowed", key, rec)
	}
	return id
}

func TestScheduledReprocessRequeuesFailedJobs(t *testing.T) {
	f := newFixture(t)
	bucket := f.spec.InputBucket
	f.putSetosa("old.json", "recent.json")
	now := time.Now()
	oldID := f.failNotified(bucket, "old.json", now.Add(-48*time.Hour))
	recentID := f.failNotified(bucket, "recent.json", now.Add(-time.Hour))
	f.deadLetters() // the two failures' dead letters are not under test here

	// The cause is gone (the bucket is allowed again); the schedule fires.
	body := scheduledReprocess("24h", now)
	if retry := f.invoke(f.ctx, message("sched-1", body, 1)); len(retry) != 0 {
		t.Fatalf("reprocess message retried: %v\n%s", retry, f.logBuf)
	}
	if rec := f.item(recentID); rec == nil || rec.Status != store.StatusInProgress || rec.ResetAt == 0 || rec.Error != nil {
		t.Errorf("the job inside the window was not reset: %+v", rec)
	}
	if rec := f.item(oldID); rec == nil || rec.Status != "FAILED" {
		t.Errorf("the job before the window was touched: %+v", rec)
	}
	if !strings.Contains(f.logBuf.String(), `"msg":"reprocess"`) || !strings.Contains(f.logBuf.String(), `"requeued":1`) {
		t.Errorf("no reprocess log line with its counts:\n%s", f.logBuf)
	}

	// A second identical request (the scheduler retries too) finds nothing
	// left to do: the job is queued once.
	if retry := f.invoke(f.ctx, message("sched-2", body, 1)); len(retry) != 0 {
		t.Fatalf("second reprocess message retried: %v", retry)
	}
	queued, err := f.queue().Peek(f.ctx, 10)
	if err != nil || len(queued) != 1 {
		t.Fatalf("jobs queue holds %d messages (%v), want the one requeued job", len(queued), err)
	}
	if dl := f.deadLetters(); len(dl) != 0 {
		t.Errorf("reprocess messages dead-lettered: %v", dl)
	}

	// The requeued message is the object's notification: same job id.
	requeued := jobs.DecodeMessage(message(aws.ToString(queued[0].MessageId), aws.ToString(queued[0].Body), 1))
	if len(requeued.Jobs) != 1 || requeued.Jobs[0].ID != recentID {
		t.Fatalf("requeued message %+v, want job %s", requeued, recentID)
	}
	f.pollAll(recentID)
	if rec := f.item(recentID); rec.Status != "SUCCEEDED" || rec.Output["label"] != "setosa" {
		t.Errorf("requeued job: %+v", rec)
	}
}

func TestReprocessMessageOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		configure func(*fixture)
		retried   bool
		deadCode  string // "" = acknowledged without a dead letter
	}{
		{"nothing to do", scheduledReprocess("24h", time.Now()), nil, false, ""},
		{"no queue configured", scheduledReprocess("24h", time.Now()),
			func(f *fixture) { f.w.Reprocessor = nil }, false, string(jobs.CodeNotConfigured)},
		{"malformed", `{"reprocess":{"status":"IN_PROGRESS","since":"24h"}}`, nil, false, string(jobs.CodeMalformedJob)},
		{"table unreachable", scheduledReprocess("24h", time.Now()),
			func(f *fixture) {
				f.w.Reprocessor = &reprocess.Reprocessor{Results: &store.Results{Client: f.ddb, Table: "no-such-table"}, Queue: f.queue(), Objects: &store.Objects{Client: f.s3}}
			}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.configure != nil {
				tc.configure(f)
			}
			retry := f.invoke(f.ctx, message("m-1", tc.body, 1))
			if got := len(retry) == 1; got != tc.retried {
				t.Fatalf("retried %v, want %v\n%s", retry, tc.retried, f.logBuf)
			}
			dl := f.deadLetters()
			switch {
			case tc.deadCode == "" && len(dl) != 0:
				t.Errorf("dead letters %v, want none", dl)
			case tc.deadCode != "" && (len(dl) != 1 || attr(dl["m-1"], "error_code") != tc.deadCode):
				t.Errorf("dead letters %v, want one for m-1 with %s", dl, tc.deadCode)
			}
			if tc.deadCode == string(jobs.CodeNotConfigured) && !strings.Contains(attr(dl["m-1"], "error_message"), "BATCHINFER_QUEUE_URL") {
				t.Errorf("the dead letter does not say what to set: %q", attr(dl["m-1"], "error_message"))
			}
			if rec := f.item("m-1"); rec != nil && tc.deadCode != string(jobs.CodeMalformedJob) {
				t.Errorf("a reprocess request left an item: %+v", rec)
			}
		})
	}
}

// cancelAfter is the jobs queue, cancelling a run's context once n jobs
// are sent: the run stops part-way, as at its deadline.
type cancelAfter struct {
	*store.Queue
	n      int
	cancel func()
}

func (c *cancelAfter) Send(ctx context.Context, msgs []store.OutMessage) ([]store.Sent, error) {
	sent, err := c.Queue.Send(ctx, msgs)
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return sent, err
}

// TestReprocessRunResumes: a run stopped after two of five jobs continues,
// under the same run id, from its cursor kept in the table; the jobs it
// already requeued are not sent again even when they have FAILED again
// meanwhile (they are after the run's upper bound), and every job is sent
// exactly once.
func TestReprocessRunResumes(t *testing.T) {
	f := newFixture(t)
	bucket := f.spec.InputBucket
	base := time.Now().Add(-time.Hour)
	var ids []string
	for i := range 5 {
		key := fmt.Sprintf("resume-%d.json", i)
		f.putSetosa(key)
		ids = append(ids, f.failNotified(bucket, key, base.Add(time.Duration(i)*time.Minute)))
	}
	f.deadLetters()

	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	first := &reprocess.Reprocessor{Results: f.table, Queue: &cancelAfter{Queue: f.queue(), n: 2, cancel: cancel}, Objects: &store.Objects{Client: f.s3}}
	opt := reprocess.Options{Status: store.StatusFailed, Since: base.Add(-time.Minute), RunID: "run-1"}
	done, err := first.Run(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(done); got[ids[0]] != reprocess.ActionRequeued || got[ids[1]] != reprocess.ActionRequeued || got[ids[2]] != reprocess.ActionError {
		t.Fatalf("first part: %+v, want the two oldest requeued and the run stopped at the third", done)
	}
	st, ok, err := f.table.LoadRun(f.ctx, "run-1")
	if err != nil || !ok || st.After.JobID != ids[1] || st.Handled != 2 {
		t.Fatalf("run state %+v (%v, %v), want the cursor after %s", st, ok, err, ids[1])
	}

	// The two requeued jobs fail again before the run goes on: a run that
	// listed them again would send them twice.
	for i := range 2 {
		f.failNotified(bucket, fmt.Sprintf("resume-%d.json", i), time.Now())
	}
	f.deadLetters()
	rp := &reprocess.Reprocessor{Results: f.table, Queue: f.queue(), Objects: &store.Objects{Client: f.s3}}
	rest, err := rp.Run(f.ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := actions(rest)
	if len(rest) != 3 || got[ids[2]] != reprocess.ActionRequeued || got[ids[3]] != reprocess.ActionRequeued || got[ids[4]] != reprocess.ActionRequeued {
		t.Fatalf("continuation: %+v, want exactly the three jobs the first part left", rest)
	}
	queued, err := f.queue().Peek(f.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, m := range queued {
		msg := jobs.DecodeMessage(message(aws.ToString(m.MessageId), aws.ToString(m.Body), 1))
		for _, j := range msg.Jobs {
			sent[j.ID]++
		}
	}
	for _, id := range ids {
		if sent[id] != 1 {
			t.Errorf("job %s sent %d times by the run, want once (%v)", id, sent[id], sent)
		}
	}
	// A new run (another request) is another window: it finds the two
	// that failed again.
	again, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusFailed, Since: base.Add(-time.Minute), RunID: "run-2", DryRun: true})
	if err != nil || len(again) != 2 {
		t.Errorf("a new run: %+v (%v), want the two jobs that failed again", again, err)
	}
}
