package store

import (
	"context"
	"fmt"
	"testing"
)

func TestReuseEntriesAreWrittenInBatchesAndFoundByLookup(t *testing.T) {
	r := newTable(t)
	ctx := context.Background()
	var entries []Record
	var keys []string
	for i := range 30 { // two BatchWriteItem calls
		k := ReuseKey("iris", "v1", fmt.Sprintf("%064x", i))
		keys = append(keys, k)
		entries = append(entries, Record{JobID: k, Status: StatusSucceeded, ReusedFrom: fmt.Sprintf("job-%d", i),
			Output: map[string]any{"label": fmt.Sprintf("l%d", i)}})
	}
	entries = append(entries, entries[0]) // a repeated key is written once
	if err := r.PutReuse(ctx, entries); err != nil {
		t.Fatal(err)
	}
	other := ReuseKey("iris", "v2", fmt.Sprintf("%064x", 0))
	found, err := r.Lookup(ctx, append(keys, other))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 30 {
		t.Fatalf("found %d entries, want 30", len(found))
	}
	if e := found[keys[7]]; e == nil || e.ReusedFrom != "job-7" || e.Output["label"] != "l7" {
		t.Errorf("entry 7 = %+v", e)
	}
	if found[other] != nil {
		t.Error("another model version's key found an entry")
	}
}
