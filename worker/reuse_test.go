package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/enginetest"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// reuseFixture is a fixture whose engine counts its runs and whose AWS
// calls are counted; reuse names the models that reuse results.
func reuseFixture(t *testing.T, reuse ...string) (*fixture, *enginetest.Counting, *store.RequestCounter) {
	t.Helper()
	f := newFixture(t)
	cfg := emu.Config(f.ctx)
	rc := store.CountRequests(&cfg)
	f.w.Results = &store.Results{Client: dynamodb.NewFromConfig(cfg), Table: f.spec.Table, TTL: f.table.TTL}
	f.w.Inputs = &store.Inputs{Client: store.NewS3Client(cfg), MaxBytes: f.w.Config.MaxInputBytes}
	eng := &enginetest.Counting{Engine: f.w.Engine.(*engine.Engine)}
	f.w.Engine = eng
	f.w.Config.ReuseModels = reuse
	return f, eng, rc
}

// run invokes msgs, wants no retries, and returns the AWS calls made.
func (f *fixture) run(rc *store.RequestCounter, msgs ...events.SQSMessage) store.RequestCounts {
	f.t.Helper()
	before := rc.Snapshot()
	if retry := f.invoke(f.ctx, msgs...); len(retry) != 0 {
		f.t.Fatalf("retry %v", retry)
	}
	return rc.Since(before)
}

func TestReuseAnswersTheSameInlineInputWithoutInference(t *testing.T) {
	f, eng, rc := reuseFixture(t, "iris-rf")
	f.run(rc, message("m1", inlineJob("first", "iris-rf", features(6.1, 2.8, 4.7, 1.2)), 1))
	ran := eng.Items.Load()
	if ran != 1 {
		t.Fatalf("first job: engine ran %d items, want 1", ran)
	}
	f.run(rc, message("m2", inlineJob("second", "iris-rf", features(6.1, 2.8, 4.7, 1.2)), 1))
	first, second := f.item("first"), f.item("second")
	if eng.Items.Load() != ran {
		t.Errorf("the second job ran the engine (%d items in all)", eng.Items.Load())
	}
	if second.Status != store.StatusSucceeded || second.ReusedFrom != "first" || second.JobID != "second" {
		t.Errorf("second item: status %s, reused_from %q, job_id %q", second.Status, second.ReusedFrom, second.JobID)
	}
	if first.ReusedFrom != "" || !reflect.DeepEqual(first.Output, second.Output) || len(second.Output) == 0 {
		t.Errorf("outputs: first %v (reused_from %q), second %v", first.Output, first.ReusedFrom, second.Output)
	}
	if got := f.metricsBuf.String(); !containsMetric(got, "ReusedResults") {
		t.Error("no ReusedResults metric written")
	}
	// Another input runs.
	f.run(rc, message("m3", inlineJob("third", "iris-rf", features(5.0, 3.4, 1.5, 0.2)), 1))
	if eng.Items.Load() != ran+1 || f.item("third").ReusedFrom != "" {
		t.Errorf("a new input: engine items %d, reused_from %q", eng.Items.Load(), f.item("third").ReusedFrom)
	}
}

func containsMetric(emf, name string) bool {
	return strings.Contains(emf, `"`+name+`"`)
}

func TestReuseAnswersTheSameS3ContentWithoutInference(t *testing.T) {
	f, eng, rc := reuseFixture(t, "ppocr-rec")
	png := textimg.PNG("Total $12.50", textimg.Options{Font: textimg.Regular})
	f.put(f.spec.InputBucket, "a/line.png", png)
	f.put(f.spec.InputBucket, "b/same-line.png", png) // another name, the same bytes
	s3job := func(id, key string) string {
		return inlineJob(id, "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/" + key})
	}
	f.run(rc, message("m1", s3job("page-a", "a/line.png"), 1))
	ran := eng.Items.Load()
	calls := f.run(rc, message("m2", s3job("page-b", "b/same-line.png"), 1))
	a, b := f.item("page-a"), f.item("page-b")
	if eng.Items.Load() != ran {
		t.Errorf("the same content ran the engine again")
	}
	if b.ReusedFrom != "page-a" || !reflect.DeepEqual(a.Output, b.Output) {
		t.Errorf("page-b: reused_from %q, output %v, want page-a's %v", b.ReusedFrom, b.Output, a.Output)
	}
	if n := calls.Calls["DynamoDB.BatchGetItem"]; n != 2 {
		t.Errorf("a reused S3 input: %d BatchGetItem calls, want 2 (its item, then its content's entry)", n)
	}
}

func TestReuseNeverTakesAnotherModelVersionsResult(t *testing.T) {
	f, eng, rc := reuseFixture(t, "iris-rf")
	in := features(6.3, 3.3, 6.0, 2.5)
	msg, err := jobs.CheckBody(inlineJob("probe", "iris-rf", in), "probe")
	if err != nil || len(msg.Jobs) != 1 {
		t.Fatalf("decode the probe job: %v", err)
	}
	h, err := jobs.InputHash(msg.Jobs[0].Input)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.w.Engine.Model("iris-rf")
	stale := store.Record{JobID: store.ReuseKey("iris-rf", m.Version()+"-old", h), Status: store.StatusSucceeded,
		ReusedFrom: "old-version-job", Output: map[string]any{"label": "not this one"}}
	if err := f.table.PutReuse(f.ctx, []store.Record{stale}); err != nil {
		t.Fatal(err)
	}
	f.run(rc, message("m1", inlineJob("new-version", "iris-rf", in), 1))
	if got := f.item("new-version"); got.ReusedFrom != "" || eng.Items.Load() != 1 {
		t.Errorf("an old version's entry was reused: reused_from %q, engine items %d", got.ReusedFrom, eng.Items.Load())
	}
}

// TestReuseCallsPerJob counts the AWS calls of four inline iris jobs and
// of four S3 OCR lines, run twice under new job ids, with reuse off and
// on (docs/benchmarks.md).
func TestReuseCallsPerJob(t *testing.T) {
	const n = 4
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reuse=%v", reuse), func(t *testing.T) {
			var models []string
			if reuse {
				models = []string{"iris-rf", "ppocr-rec"}
			}
			f, eng, rc := reuseFixture(t, models...)
			for i := range n {
				f.put(f.spec.InputBucket, fmt.Sprintf("l/%d.png", i), textimg.PNG(fmt.Sprintf("Line %d", i), textimg.Options{Font: textimg.Regular}))
			}
			batch := func(round string) []events.SQSMessage {
				var msgs []events.SQSMessage
				for i := range n {
					msgs = append(msgs,
						message(round+"i"+fmt.Sprint(i), inlineJob(round+"-iris-"+fmt.Sprint(i), "iris-rf", features(5, 3, 1+float64(i), 0.2)), 1),
						message(round+"o"+fmt.Sprint(i), inlineJob(round+"-ocr-"+fmt.Sprint(i), "ppocr-rec",
							map[string]any{"s3": fmt.Sprintf("s3://%s/l/%d.png", f.spec.InputBucket, i)}), 1))
				}
				return msgs
			}
			first := f.run(rc, batch("r1")...)
			ran := eng.Items.Load()
			second := f.run(rc, batch("r2")...)
			t.Logf("reuse=%v, %d jobs a round: first round %v; second round %v; engine items %d then %d",
				reuse, 2*n, first.Calls, second.Calls, ran, eng.Items.Load()-ran)
			if !reuse {
				if first.Calls["DynamoDB.BatchWriteItem"] != 0 || second.Calls["DynamoDB.BatchGetItem"] != 1 || eng.Items.Load() != 2*ran {
					t.Errorf("reuse off made reuse calls or skipped inference: %v, %v", first.Calls, second.Calls)
				}
				return
			}
			if first.Calls["DynamoDB.BatchWriteItem"] != 1 || second.Calls["DynamoDB.BatchGetItem"] != 2 {
				t.Errorf("reuse on: want one BatchWriteItem after the first round, two BatchGetItem in the second: %v, %v", first.Calls, second.Calls)
			}
			if eng.Items.Load() != ran {
				t.Errorf("the second round ran %d items", eng.Items.Load()-ran)
			}
			for i := range n {
				if got := f.item(fmt.Sprintf("r2-ocr-%d", i)); got.ReusedFrom != fmt.Sprintf("r1-ocr-%d", i) {
					t.Errorf("r2-ocr-%d: reused_from %q", i, got.ReusedFrom)
				}
			}
		})
	}
}

func TestReuseWritesReusedFromOnClaimedJobs(t *testing.T) {
	f, eng, rc := reuseFixture(t, "iris-rf")
	f.w.Config.Claim.All = true // the outcome goes through Complete, not Put
	f.run(rc, message("m1", inlineJob("claimed-1", "iris-rf", features(5.8, 2.7, 5.1, 1.9)), 1))
	f.run(rc, message("m2", inlineJob("claimed-2", "iris-rf", features(5.8, 2.7, 5.1, 1.9)), 1))
	if got := f.item("claimed-2"); got.ReusedFrom != "claimed-1" || got.Status != store.StatusSucceeded || eng.Items.Load() != 1 {
		t.Errorf("claimed-2: status %s, reused_from %q, engine items %d", got.Status, got.ReusedFrom, eng.Items.Load())
	}
}

// TestReuseByManifest: a manifest's "reuse": true opts in without the
// variable (a copy of iris-rf whose manifest says so).
func TestReuseByManifest(t *testing.T) {
	dir := t.TempDir()
	src := testenv.CacheDir() + "/models/iris-rf"
	for _, name := range []string{"manifest.json", "sklearn_randomforest.onnx"} {
		b, err := os.ReadFile(src + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "manifest.json" {
			var man map[string]any
			if err := json.Unmarshal(b, &man); err != nil {
				t.Fatal(err)
			}
			man["reuse"] = true
			b, _ = json.Marshal(man)
		}
		if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := model.Load(dir, model.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if !m.Reuse() {
		t.Fatal("the manifest's reuse was not read")
	}
	e, err := engine.New([]*model.Model{m})
	if err != nil {
		t.Fatal(err)
	}
	f, _, rc := reuseFixture(t) // no BATCHINFER_REUSE_MODELS
	eng := &enginetest.Counting{Engine: e}
	f.w.Engine = eng
	f.run(rc, message("m1", inlineJob("man-1", m.Name(), features(4.9, 3.1, 1.5, 0.1)), 1))
	f.run(rc, message("m2", inlineJob("man-2", m.Name(), features(4.9, 3.1, 1.5, 0.1)), 1))
	if got := f.item("man-2"); got.ReusedFrom != "man-1" || eng.Items.Load() != 1 {
		t.Errorf("man-2: reused_from %q, engine items %d", got.ReusedFrom, eng.Items.Load())
	}
}
