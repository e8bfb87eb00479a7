package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/store"
)

func (f *fixture) queue() *store.Queue { return &store.Queue{Client: f.sqs, URL: f.prov.QueueURL} }

// pollAll runs a poller until every named job is final.
func (f *fixture) pollAll(ids ...string) {
	f.t.Helper()
	final := func() bool {
		for _, id := range ids {
			if rec := f.item(id); rec == nil || !store.Status(rec.Status).Final() {
				return false
			}
		}
		return true
	}
	if !f.runUntil(f.poller(), 10*time.Second, final) {
		f.t.Fatalf("jobs %v not final; log:\n%s", ids, f.logBuf.String())
	}
}

func TestSubmitAndWait(t *testing.T) {
	f := newFixture(t)
	named, err := client.JobSpec{JobID: "named", Model: "iris-rf", Features: json.RawMessage(`[5.1,3.5,1.4,0.2]`), Metadata: json.RawMessage(`{"batch":"b1"}`)}.Body()
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := client.JobSpec{Features: json.RawMessage(`[6.7,3.0,5.2,2.3]`)}.Body()
	sub, err := client.Submit(f.ctx, f.queue(), []string{named, anon})
	if err != nil || len(sub) != 2 {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	if sub[0].JobID != "named" || sub[0].MessageID == "" || sub[1].JobID != sub[1].MessageID || sub[1].Note == "" {
		t.Fatalf("submitted = %+v", sub)
	}

	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	go f.poller().Run(ctx)
	wctx, wcancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer wcancel()
	recs, err := client.Follow(wctx, f.table, []string{sub[0].JobID, sub[1].JobID}, 100*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if recs[0].Output["label"] != "setosa" || recs[0].Metadata["batch"] != "b1" || recs[1].Output["label"] != "virginica" {
		t.Errorf("results: %+v / %+v", recs[0], recs[1])
	}
	item, err := recs[0].JSON()
	if err != nil || item["job_id"] != "named" || item["status"] != "SUCCEEDED" || item["claim_token"] != nil {
		t.Errorf("item JSON = %v, %v", item, err)
	}
}

// Follow over the real table: jobs finished by the worker are final at
// once, an unknown one keeps it waiting until the context ends; the
// output of each comes back whole.
func TestFollowAndFullOutput(t *testing.T) {
	f := newFixture(t)
	f.invoke(f.ctx,
		message("m1", inlineJob("follow-ok", "iris-rf", map[string]any{"features": []float64{5.1, 3.5, 1.4, 0.2}}), 1),
		message("m2", inlineJob("follow-bad", "iris-rf", map[string]any{"features": []float64{1}}), 1))
	var seen []int
	recs, err := client.Follow(f.ctx, f.table, []string{"follow-ok", "follow-bad"}, 10*time.Millisecond, func(n, _ int) { seen = append(seen, n) })
	if err != nil || len(seen) != 1 || seen[0] != 2 {
		t.Fatalf("Follow: %v, progress %v", err, seen)
	}
	s := client.Summarize(recs)
	if s.ByStatus["SUCCEEDED"] != 1 || s.ByStatus["FAILED"] != 1 || s.ByCode["wrong_feature_count"] != 1 {
		t.Errorf("summary %+v", s)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
	defer cancel()
	recs, err = client.Follow(ctx, f.table, []string{"follow-ok", "never-sent"}, 50*time.Millisecond, nil)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 jobs not finished") || client.Summarize(recs).Missing != 1 {
		t.Errorf("an unknown job: %v", err)
	}
	out, err := client.FullOutput(f.ctx, &store.Inputs{Client: f.s3, MaxBytes: 1 << 20}, f.item("follow-ok"))
	if b, _ := json.Marshal(out); err != nil || !strings.Contains(string(b), `"label"`) {
		t.Errorf("full output %s, %v", b, err)
	}
	if out, err := client.FullOutput(f.ctx, nil, &store.Record{Output: map[string]any{"inline": true}}); err != nil || out.(map[string]any)["inline"] != true {
		t.Errorf("an inline output: %v, %v", out, err)
	}
}

func TestSubmitRefusesBadJobs(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		spec client.JobSpec
		want string
	}{
		{"too large", client.JobSpec{Data: make([]byte, client.MaxInlineDataBytes+1)}, "upload the file"},
		{"reserved id", client.JobSpec{JobID: "s3-mine", S3: "s3://bucket/key"}, "reserved prefix"},
		{"no input", client.JobSpec{JobID: "x"}, "exactly one"},
		{"bad uri", client.JobSpec{S3: "https://bucket/key"}, "s3://"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := tc.spec.Body()
			if err == nil {
				_, err = client.Submit(f.ctx, f.queue(), []string{body})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	if left, _ := f.queue().Peek(f.ctx, 10); len(left) != 0 {
		t.Errorf("%d messages sent for refused jobs", len(left))
	}
}

func TestReprocessFailedJobs(t *testing.T) {
	f := newFixture(t)
	bucket := f.spec.InputBucket
	f.putSetosa("fixed bucket.json", "rewritten.json")

	fixedID, rewrittenID := f.failFourJobs()

	// The causes go away: the bucket is allowed, the object appears; one
	// notified object is rewritten, so its old job must not run again.
	f.putSetosa("later.json")
	f.put(bucket, "rewritten.json", []byte(`{"features":[6.7,3.0,5.2,2.3]}`))

	rp := &reprocess.Reprocessor{Results: f.table, Queue: f.queue(), Objects: &store.Objects{Client: f.s3}}
	dry, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusFailed, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(dry); got["missing"] != reprocess.ActionWouldRequeue || got[fixedID] != reprocess.ActionWouldRequeue ||
		got[rewrittenID] != reprocess.ActionSkipped || got["bad-features"] != reprocess.ActionSkipped {
		t.Fatalf("dry run: %+v", dry)
	}
	if left, _ := f.queue().Peek(f.ctx, 10); len(left) != 0 || f.item("missing").Status != "FAILED" {
		t.Fatal("a dry run changed something")
	}

	// --code narrows the selection.
	only, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusFailed, Code: string(jobs.CodeInputMissing)})
	if err != nil || len(only) != 1 || only[0].JobID != "missing" || only[0].Action != reprocess.ActionRequeued {
		t.Fatalf("reprocess input_missing: %+v %v", only, err)
	}
	rest, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(rest); got[fixedID] != reprocess.ActionRequeued || got["bad-features"] != reprocess.ActionSkipped || got[rewrittenID] != reprocess.ActionSkipped {
		t.Fatalf("reprocess: %+v", rest)
	}
	for _, r := range rest {
		if r.JobID == "bad-features" && !strings.Contains(r.Reason, "dlq redrive") {
			t.Errorf("a failed inline job is skipped without saying `dlq redrive` reruns it: %q", r.Reason)
		}
	}
	f.pollAll("missing", fixedID)
	for _, id := range []string{"missing", fixedID} {
		// The reset kept the count: this is the job's second attempt.
		if rec := f.item(id); rec.Status != "SUCCEEDED" || rec.Output["label"] != "setosa" || rec.Attempts != 2 {
			t.Errorf("%s after reprocessing: %+v", id, rec)
		}
	}
	if rec := f.item(rewrittenID); rec.Status != "FAILED" {
		t.Errorf("the rewritten object's old job was touched: %+v", rec)
	}

	// After a model upgrade: every SUCCEEDED job not on the new version.
	current := f.item("missing").ModelVersion
	none, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusSucceeded, ModelVersionNot: current, DryRun: true})
	if err != nil || len(none) != 0 {
		t.Errorf("--model-version-not %s selected %+v, %v", current, none, err)
	}
	all, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusSucceeded, ModelVersionNot: "v0", DryRun: true})
	if err != nil || len(all) != 2 {
		t.Errorf("--model-version-not v0 selected %+v, %v", all, err)
	}
	if _, err := rp.Run(f.ctx, reprocess.Options{Status: store.StatusInProgress}); err == nil {
		t.Error("reprocessing IN_PROGRESS jobs was accepted")
	}
}

// failFourJobs leaves four FAILED jobs to reprocess: two S3 notifications
// failing bucket_not_allowed (of "fixed bucket.json" and
// "rewritten.json", which the caller put), one inline job with bad
// features, then an S3 input missing at first ("missing").
func (f *fixture) failFourJobs() (fixedID, rewrittenID string) {
	f.t.Helper()
	bucket := f.spec.InputBucket
	allowed := f.w.Config.InputBuckets
	f.w.Config.InputBuckets = nil
	f.send(
		s3Notification(bucket, "fixed bucket.json", f.etag(bucket, "fixed bucket.json")),
		s3Notification(bucket, "rewritten.json", f.etag(bucket, "rewritten.json")),
		inlineJob("bad-features", "iris-rf", features(1, 2)),
	)
	fixedID = jobs.ObjectJobID(bucket, "fixed bucket.json", "", f.etag(bucket, "fixed bucket.json"))
	rewrittenID = jobs.ObjectJobID(bucket, "rewritten.json", "", f.etag(bucket, "rewritten.json"))
	f.pollAll(fixedID, rewrittenID, "bad-features")
	f.w.Config.InputBuckets = allowed
	f.send(inlineJob("missing", "iris-rf", map[string]any{"s3": "s3://" + bucket + "/later.json"}))
	f.pollAll("missing")
	for _, id := range []string{"missing", fixedID, rewrittenID, "bad-features"} {
		if rec := f.item(id); rec.Status != "FAILED" {
			f.t.Fatalf("%s: %+v, want FAILED before reprocessing", id, rec)
		}
	}
	return fixedID, rewrittenID
}

// etag is the object's ETag as S3 reports it (and notifications carry it).
func (f *fixture) etag(bucket, key string) string {
	f.t.Helper()
	_, etag, err := store.ObjectVersion(f.ctx, f.s3, bucket, key)
	if err != nil {
		f.t.Fatal(err)
	}
	return etag
}

func actions(rs []reprocess.Result) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.JobID] = r.Action
	}
	return m
}
