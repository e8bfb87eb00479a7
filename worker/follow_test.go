package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

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
	if err != nil || !strings.Contains(string(mustMarshal(t, out)), `"label"`) {
		t.Errorf("full output %s, %v", mustMarshal(t, out), err)
	}
	if out, err := client.FullOutput(f.ctx, nil, &store.Record{Output: map[string]any{"inline": true}}); err != nil || out.(map[string]any)["inline"] != true {
		t.Errorf("an inline output: %v, %v", out, err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
