package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestFeaturesReadEntitiesInBatchesOf100(t *testing.T) {
	ctx := context.Background()
	c := cfg.Copy()
	counter := CountRequests(&c)
	db := dynamodb.NewFromConfig(c)
	table := name("flowers")
	if err := EnsureFeatureTable(ctx, db, table, "flower_id"); err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	for i := range 150 {
		items = append(items, map[string]any{"flower_id": fmt.Sprintf("f-%d", i), "petal_length": float64(i) / 10, "petal_width": 0.2, "owner": "x"})
	}
	if err := PutEntities(ctx, db, table, items); err != nil {
		t.Fatal(err)
	}
	var keys []EntityKey
	for i := range 160 { // 150 stored, 10 absent
		keys = append(keys, EntityKey{Table: table, Attr: "flower_id", Value: fmt.Sprintf("f-%d", i)})
	}
	keys = append(keys, keys[:40]...) // duplicates are read once
	before := counter.Snapshot()
	got, err := (&Features{Client: db}).Get(ctx, keys, map[string]FeatureRead{table: {Names: []string{"petal_length", "petal_width"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.Since(before).Calls["DynamoDB.BatchGetItem"]; n != 2 {
		t.Errorf("%d BatchGetItem calls for 160 distinct keys, want 2 (calls %v)", n, counter.Since(before).Calls)
	}
	if len(got) != 150 {
		t.Errorf("%d entities found, want 150", len(got))
	}
	f42 := got[EntityKey{Table: table, Attr: "flower_id", Value: "f-42"}]
	if f42["petal_length"] != 4.2 || f42["petal_width"] != 0.2 || f42["owner"] != nil || len(f42) != 2 {
		t.Errorf("f-42: %v, want the two projected features", f42)
	}
	if _, ok := got[EntityKey{Table: table, Attr: "flower_id", Value: "f-155"}]; ok {
		t.Error("an absent entity was found")
	}
	if v, num, ok := EntityValue(json.Number("7")); v != "7" || !num || !ok {
		t.Errorf("EntityValue(7) = %q %v %v", v, num, ok)
	}
}
