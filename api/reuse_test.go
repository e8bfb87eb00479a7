package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/batchinfer/batchinfer/internal/enginetest"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

func TestPredictReusesStoredResultsOfTheSameVersion(t *testing.T) {
	ctx := context.Background()
	db, counter, table := countedTable(t, "results", "job_id") // a results table: keyed by job_id
	results := &store.Results{Client: db, Table: table}
	eng := &enginetest.Counting{Engine: irisEngine(t)}
	m, err := eng.Model("iris-rf")
	if err != nil {
		t.Fatal(err)
	}
	hash := func(instance string) string {
		h, err := jobs.InputHash(jobs.Input{Features: json.RawMessage(instance)})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// Stored outputs no model would give: an answer that carries one came
	// from the store.
	if err := results.PutReuse(ctx, []store.Record{
		{JobID: store.ReuseKey("iris-rf", m.Version(), hash(versicolor)), Status: store.StatusSucceeded,
			ReusedFrom: "job-1", Output: map[string]any{"label": "stored"}},
		{JobID: store.ReuseKey("iris-rf", m.Version()+"-old", hash(virginica)), Status: store.StatusSucceeded,
			ReusedFrom: "job-2", Output: map[string]any{"label": "old-version"}},
	}); err != nil {
		t.Fatal(err)
	}
	p := &Predictor{Engine: eng, Reuse: results, ReuseModels: []string{"iris-rf"}}
	url := predictServer(t, p)
	before := counter.Snapshot()
	code, _, v := post(t, url+"/v1/predict", `{"model": "iris-rf", "instances": [`+versicolor+`, `+virginica+`, `+setosa+`]}`, testKey)
	if code != http.StatusOK {
		t.Fatalf("status %d %v", code, v)
	}
	want := []string{"label:stored", "label:virginica", "label:setosa"}
	for i, o := range v["outputs"].([]any) {
		if got := describe(o.(map[string]any)); got != want[i] {
			t.Errorf("instance %d: %s, want %s", i, got, want[i])
		}
	}
	if eng.Items.Load() != 2 {
		t.Errorf("engine ran %d items, want 2 (the reused one not)", eng.Items.Load())
	}
	calls := counter.Since(before).Calls
	if calls["DynamoDB.BatchGetItem"] != 1 || len(calls) != 1 {
		t.Errorf("calls %v, want one BatchGetItem and no write", calls)
	}
}
