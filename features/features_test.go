package features

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// irisFeat is the iris forest whose petal measurements are stored per
// flower (models/iris-feat/manifest.json).
func irisFeat(t testing.TB) *model.Model { return loadIrisFeat(t)[0] }

var loadIrisFeat = modelenv.Shared("iris-feat")

// table is a Reader over a map, recording its calls.
type table struct {
	items map[store.EntityKey]map[string]any
	calls [][]store.EntityKey
	err   error
}

func (tb *table) Get(_ context.Context, keys []store.EntityKey, reads map[string]store.FeatureRead) (map[store.EntityKey]map[string]any, error) {
	tb.calls = append(tb.calls, keys)
	return tb.items, tb.err
}

func TestReadAndApply(t *testing.T) {
	m := irisFeat(t)
	f1 := store.EntityKey{Table: "override", Attr: "flower_id", Value: "f-1"}
	tb := &table{items: map[store.EntityKey]map[string]any{f1: {"petal_length": 1.4, "petal_width": 0.2}}}
	j := &Joiner{Reader: tb, Tables: map[string]string{"iris-feat": "override"}}
	wants := []Want{
		{Model: m, Entity: map[string]any{"flower_id": "f-1"}},
		{Model: m, Entity: map[string]any{"flower_id": "f-2"}},
		{Model: m, Entity: map[string]any{"flower_id": true}},
		{Model: m},
	}
	found, err := j.Read(context.Background(), wants)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.calls) != 1 || len(tb.calls[0]) != 2 || tb.calls[0][0] != f1 {
		t.Errorf("reads %v, want one call with f-1 and f-2 in the overriding table", tb.calls)
	}
	in := model.Input{Data: []byte(`{"features": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_width": 9}}`)}
	got, err := Apply(m, found[0], in)
	var merged map[string]map[string]float64
	if err != nil || json.Unmarshal(got.Data, &merged) != nil {
		t.Fatalf("apply: %v %s", err, got.Data)
	}
	if f := merged["features"]; f["petal_length"] != 1.4 || f["petal_width"] != 9 || f["sepal_length"] != 5.1 {
		t.Errorf("merged %v: want the stored petal_length and the job's own petal_width", f)
	}
	if _, err := Apply(m, found[1], in); jobs.CodeOf(err) != jobs.CodeFeaturesMissing {
		t.Errorf("absent entity: %v", err)
	}
	if _, err := Apply(m, found[2], in); jobs.CodeOf(err) != jobs.CodeMalformedJob {
		t.Errorf("bad entity value: %v", err)
	}
	if out, err := Apply(m, found[3], in); err != nil || string(out.Data) != string(in.Data) {
		t.Errorf("no entity: %v %s", err, out.Data)
	}
	tb.err = jobs.Errorf(jobs.CodeThrottled, "slow down")
	if _, err := j.Read(context.Background(), wants); jobs.IsPermanent(err) || !errors.Is(err, tb.err) {
		t.Errorf("a throttled read: %v, want it transient", err)
	}
	if _, err := ParseTables([]string{"iris-feat=t1", "bad"}); err == nil {
		t.Error("ParseTables took a pair without =")
	}
}
