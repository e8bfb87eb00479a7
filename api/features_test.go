package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/store"
)

// featEngine serves iris-feat: the iris forest whose petal measurements
// are stored per flower (models/iris-feat/manifest.json).
var featEngine = sharedEngine("iris-feat")

// countedTable makes a table keyed by key on the emulator, named after
// prefix, with a client whose requests counter counts.
func countedTable(t *testing.T, prefix, key string) (*dynamodb.Client, *store.RequestCounter, string) {
	t.Helper()
	c := awsCfg.Copy()
	counter := store.CountRequests(&c)
	db := dynamodb.NewFromConfig(c)
	table := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%100000, seq.Add(1))
	if err := store.EnsureFeatureTable(context.Background(), db, table, key); err != nil {
		t.Fatal(err)
	}
	return db, counter, table
}

func TestPredictJoinsStoredFeatures(t *testing.T) {
	ctx := context.Background()
	db, counter, table := countedTable(t, "flowers", "flower_id")
	// Fisher's rows 1 (setosa) and 101 (virginica): their petals stored.
	if err := store.PutEntities(ctx, db, table, []map[string]any{
		{"flower_id": "f-1", "petal_length": 1.4, "petal_width": 0.2},
		{"flower_id": "f-101", "petal_length": 6.0, "petal_width": 2.5},
	}); err != nil {
		t.Fatal(err)
	}
	p := &Predictor{Engine: featEngine(t), Features: &features.Joiner{Reader: &store.Features{Client: db}, Tables: map[string]string{"iris-feat": table}}}
	url := predictServer(t, p)
	before := counter.Snapshot()
	code, _, v := post(t, url+"/v1/predict", `{"instances": [
		{"features": {"sepal_length": 5.1, "sepal_width": 3.5}, "entity": {"flower_id": "f-1"}},
		{"features": {"sepal_length": 6.3, "sepal_width": 3.3}, "entity": {"flower_id": "f-101"}},
		{"features": {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 1.4, "petal_width": 0.2}, "entity": {"flower_id": "f-101"}},
		{"features": {"sepal_length": 5.1, "sepal_width": 3.5}, "entity": {"flower_id": "f-nowhere"}},
		{"features": {"sepal_length": 5.1, "sepal_width": 3.5}, "entity": {"other": "f-1"}}
	]}`, testKey)
	if code != http.StatusOK {
		t.Fatalf("status %d %v", code, v)
	}
	want := []string{"label:setosa", "label:virginica", "label:setosa", "error:features_missing", "error:features_missing"}
	for i, o := range v["outputs"].([]any) {
		if got := describe(o.(map[string]any)); got != want[i] {
			t.Errorf("instance %d: %s, want %s (%v)", i, got, want[i], o)
		}
	}
	if n := counter.Since(before).Calls["DynamoDB.BatchGetItem"]; n != 1 {
		t.Errorf("%d BatchGetItem calls for one request, want 1", n)
	}
}
