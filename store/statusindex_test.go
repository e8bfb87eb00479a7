package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestStatusShardsSpread(t *testing.T) {
	counts := map[string]int{}
	const n = 3200
	for i := range n {
		counts[StatusShard(StatusSucceeded, fmt.Sprintf("job-%05d", i))]++
	}
	if len(counts) != StatusShards {
		t.Fatalf("%d of %d shards used by %d jobs", len(counts), StatusShards, n)
	}
	for shard, c := range counts {
		if c > 2*n/StatusShards {
			t.Errorf("shard %s holds %d of %d jobs: over twice its share", shard, c, n)
		}
	}
	if a, b := StatusShard(StatusFailed, "x"), StatusShard(StatusFailed, "x"); a != b {
		t.Errorf("shard of one job differs: %s, %s", a, b)
	}
}

// TestListWindowAcrossShards writes jobs that land in many shards and
// reads them back through the sharded index: merged in (updated_at,
// job_id) order, the window's bounds and cursor honoured, the projection
// without outputs, a reset moving the entry to IN_PROGRESS's shard.
func TestListWindowAcrossShards(t *testing.T) {
	r := newTable(t)
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r.Now = clock.Now
	ctx := context.Background()
	var want []string
	shards := map[string]bool{}
	for i := range 40 {
		id := name(fmt.Sprintf("shard%02d", i))
		rec := Record{JobID: id, Status: StatusFailed, Model: "iris-rf", Input: "s3://b/k", ClaimToken: "t",
			Output: map[string]any{"big": "not projected"}}
		if _, err := r.Put(ctx, rec, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if i%5 != 4 { // every fifth shares its timestamp with the next: job_id breaks the tie
			clock.Advance(time.Millisecond)
		}
		want = append(want, id)
		shards[StatusShard(StatusFailed, id)] = true
	}
	if len(shards) < 10 {
		t.Fatalf("40 jobs fell in only %d shards: the test would not exercise the merge", len(shards))
	}
	all, err := r.ListWindow(ctx, StatusFailed, Window{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := jobIDs(all)
	for i := 1; i < len(all); i++ {
		if !CursorOf(all[i-1]).after(all[i]) {
			t.Fatalf("not in (updated_at, job_id) order at %d: %+v then %+v", i, CursorOf(all[i-1]), CursorOf(all[i]))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d jobs, want %d", len(got), len(want))
	}
	if all[0].Output != nil || all[0].Model != "iris-rf" || all[0].Input != "s3://b/k" || all[0].StatusShard != StatusShard(StatusFailed, all[0].JobID) {
		t.Errorf("listed item %+v: want the projection (model, input, shard) without the output", all[0])
	}

	// Pages by cursor cover everything once, in order.
	var paged []string
	w := Window{}
	for {
		page, err := r.ListWindow(ctx, StatusFailed, w, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, jobIDs(page)...)
		w.After = CursorOf(page[len(page)-1])
	}
	if !equal(paged, got) {
		t.Errorf("paging by cursor: %v\nwant %v", paged, got)
	}

	// Until is exclusive; Since inclusive.
	mid, _ := time.Parse(time.RFC3339Nano, all[20].UpdatedAt)
	before, err := r.ListWindow(ctx, StatusFailed, Window{Until: mid}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range before {
		if rec.UpdatedAt >= all[20].UpdatedAt {
			t.Errorf("until %s listed %s", all[20].UpdatedAt, rec.UpdatedAt)
		}
	}
	since, err := r.ListWindow(ctx, StatusFailed, Window{Since: mid}, 0)
	if err != nil || len(before)+len(since) != len(all) {
		t.Errorf("before %d + since %d, want %d (%v)", len(before), len(since), len(all), err)
	}

	// A reset moves the job to IN_PROGRESS's shard.
	if err := r.Reset(ctx, all[0].JobID, StatusFailed); err != nil {
		t.Fatal(err)
	}
	rec, err := r.Get(ctx, all[0].JobID)
	if err != nil || rec.StatusShard != StatusShard(StatusInProgress, all[0].JobID) {
		t.Fatalf("after reset: %+v (%v)", rec, err)
	}
	left, err := r.ListByStatus(ctx, StatusFailed, time.Time{}, 0)
	if err != nil || len(left) != len(all)-1 {
		t.Errorf("after one reset %d FAILED jobs listed (%v), want %d", len(left), err, len(all)-1)
	}
}
