package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// irisFeat is the iris forest whose petal measurements are stored per
// flower (models/iris-feat/manifest.json: feature_source flower_id).
var irisFeat = modelenv.Shared("iris-feat")

// featureFixture is a fixture whose worker also serves iris-feat, its
// features read from a table of n flowers through a counted client: even
// flowers hold setosa's petals (Fisher's row 1), odd ones virginica's
// (row 101).
func featureFixture(t *testing.T, n int) (*fixture, *store.RequestCounter) {
	f := newFixture(t)
	f.serve(append(slices.Clone(models), irisFeat(t)...)...)
	f.w.Config.Routes = Routes{{Prefix: "flowers/", Model: "iris-feat"}}
	cfg := emu.Config(f.ctx)
	counter := store.CountRequests(&cfg)
	db := dynamodb.NewFromConfig(cfg)
	table := "feat-" + f.spec.Table
	if err := store.EnsureFeatureTable(f.ctx, db, table, "flower_id"); err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	for i := range n {
		petals := []float64{1.4, 0.2}
		if i%2 == 1 {
			petals = []float64{6.0, 2.5}
		}
		items = append(items, map[string]any{"flower_id": fmt.Sprintf("f-%d", i), "petal_length": petals[0], "petal_width": petals[1]})
	}
	if err := store.PutEntities(f.ctx, db, table, items); err != nil {
		t.Fatal(err)
	}
	f.w.Features = &feat.Joiner{Reader: &store.Features{Client: db}, Tables: map[string]string{"iris-feat": table}}
	return f, counter
}

// runRecordFile puts a record file, runs its notification and returns its
// output lines by id.
func (f *fixture) runRecordFile(key string, file []byte) map[string]map[string]any {
	f.t.Helper()
	f.put(f.spec.InputBucket, key, file)
	body := jobs.S3Notification("us-east-1", jobs.S3Object{Bucket: f.spec.InputBucket, Key: key, ETag: "e1", Size: int64(len(file))})
	if retry := f.invoke(f.ctx, message("m-"+key, body, 1)); len(retry) != 0 {
		f.t.Fatalf("retry %v", retry)
	}
	rec := f.item(jobs.ObjectJobID(f.spec.InputBucket, key, "", "e1"))
	if rec == nil || rec.Status != store.StatusSucceeded {
		f.t.Fatalf("item %+v, want SUCCEEDED", rec)
	}
	lines := map[string]map[string]any{}
	for _, l := range f.outputLines(rec.OutputURI) {
		lines[fmt.Sprint(l["id"])] = l
	}
	return lines
}

// outcome is a line's label or error code.
func outcome(l map[string]any) string {
	if e, ok := l["error"].(map[string]any); ok {
		return "error:" + fmt.Sprint(e["code"])
	}
	out, _ := l["output"].(map[string]any)
	return fmt.Sprint(out["label"])
}

func TestRecordFileJoinsStoredFeatures(t *testing.T) {
	const flowers = 150
	f, counter := featureFixture(t, flowers)
	// Every row has one flower's sepals (6.3, 3.3: Fisher's row 101):
	// the stored petals decide the species.
	var b strings.Builder
	want := map[string]string{}
	for i := range 2 * flowers {
		id := fmt.Sprintf("r%d", i)
		fmt.Fprintf(&b, `{"id": %q, "features": {"sepal_length": 6.3, "sepal_width": 3.3}, "entity": {"flower_id": "f-%d"}}`+"\n", id, i%flowers)
		want[id] = map[bool]string{true: "setosa", false: "virginica"}[i%2 == 0]
	}
	b.WriteString(`{"id": "own", "features": {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 1.4, "petal_width": 0.2}, "entity": {"flower_id": "f-1"}}` + "\n")
	b.WriteString(`{"id": "nowhere", "features": {"sepal_length": 6.3, "sepal_width": 3.3}, "entity": {"flower_id": "f-nowhere"}}` + "\n")
	b.WriteString(`{"id": "nokey", "features": {"sepal_length": 6.3, "sepal_width": 3.3}, "entity": {"other": "f-1"}}` + "\n")
	b.WriteString(`{"id": "plain", "features": [6.3, 3.3, 6.0, 2.5]}` + "\n")
	want["own"], want["nowhere"], want["nokey"], want["plain"] = "setosa", "error:features_missing", "error:features_missing", "virginica"

	before := counter.Snapshot()
	lines := f.runRecordFile("flowers/day1.jsonl", []byte(b.String()))
	if len(lines) != len(want) {
		t.Fatalf("%d output lines, want %d", len(lines), len(want))
	}
	for id, w := range want {
		if got := outcome(lines[id]); got != w {
			t.Errorf("record %s: %s, want %s", id, got, w)
		}
	}
	// 151 distinct keys (the flowers and f-nowhere), one pack: two calls.
	if n := counter.Since(before).Calls["DynamoDB.BatchGetItem"]; n != 2 {
		t.Errorf("%d BatchGetItem calls for 151 distinct entities, want 2 (≤ 100 keys each)", n)
	}
}

func TestRecordFileCSVKeyColumn(t *testing.T) {
	f, counter := featureFixture(t, 4)
	// flower_id is the table's key: each row's entity. The petal columns
	// are absent or empty, left to the table; a cell of its own wins.
	file := "id,sepal_length,flower_id,sepal_width,petal_width\n" +
		"a,6.3,f-0,3.3,\n" +
		"b,6.3,f-1,3.3,\n" +
		"c,6.3,f-1,3.3,0.2\n" +
		"d,6.3,f-nowhere,3.3,\n" +
		"e,6.3,f-2,3.3,\n"
	before := counter.Snapshot()
	lines := f.runRecordFile("flowers/day1.csv", []byte(file))
	want := map[string]string{"a": "setosa", "b": "virginica", "d": "error:features_missing", "e": "setosa"}
	for id, w := range want {
		if got := outcome(lines[id]); got != w {
			t.Errorf("row %s: %s, want %s (%v)", id, got, w, lines[id])
		}
	}
	// Row c keeps its own petal width (0.2) beside f-1's stored length 6.0.
	if got := outcome(lines["c"]); strings.HasPrefix(got, "error:") {
		t.Errorf("row c: %s, want an output from its own petal width and the stored length", got)
	}
	if n := counter.Since(before).Calls["DynamoDB.BatchGetItem"]; n != 1 {
		t.Errorf("%d BatchGetItem calls for 4 distinct entities, want 1", n)
	}
}

// throttledFeatures is a feature table that always answers throttled.
type throttledFeatures struct{ calls int }

func (r *throttledFeatures) Get(context.Context, []store.EntityKey, map[string]store.FeatureRead) (map[store.EntityKey]map[string]any, error) {
	r.calls++
	return nil, jobs.Errorf(jobs.CodeThrottled, "rate exceeded")
}

// TestRecordFileFeatureReadFailureRetries: a failed read is transient: the
// file is retried, not failed, and no record gets a line for it.
func TestRecordFileFeatureReadFailureRetries(t *testing.T) {
	f, _ := featureFixture(t, 2)
	reader := &throttledFeatures{}
	f.w.Features.Reader = reader
	key := "flowers/throttled.jsonl"
	file := []byte(`{"id": "a", "features": {"sepal_length": 6.3, "sepal_width": 3.3}, "entity": {"flower_id": "f-0"}}` + "\n")
	f.put(f.spec.InputBucket, key, file)
	body := jobs.S3Notification("us-east-1", jobs.S3Object{Bucket: f.spec.InputBucket, Key: key, ETag: "e1", Size: int64(len(file))})
	if retry := f.invoke(f.ctx, message("m1", body, 1)); !slices.Equal(retry, []string{"m1"}) || reader.calls == 0 {
		t.Fatalf("retry %v after %d reads, want the message retried", retry, reader.calls)
	}
	if rec := f.item(jobs.ObjectJobID(f.spec.InputBucket, key, "", "e1")); rec != nil && rec.Status != store.StatusInProgress {
		t.Errorf("item %+v after a throttled read, want none or IN_PROGRESS", rec)
	}
}
