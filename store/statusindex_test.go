package store

import (
	"context"
	"fmt"
	"slices"
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
// job_id) order, oldest or newest first, the window's bounds and cursor
// honoured, the projection without outputs, a reset moving the entry to
// IN_PROGRESS's shard.
func TestListWindowAcrossShards(t *testing.T) {
	r, clock := clockedTable(t)
	want := putFailedAcrossShards(t, r, clock, 40)
	all := listMerged(t, r, Window{})
	if got := jobIDs(all); !equal(got, want) {
		t.Fatalf("listed %v\nwant %v", got, want)
	}
	if all[0].Output != nil || all[0].Model != "iris-rf" || all[0].Input != "s3://b/k" || all[0].StatusShard != StatusShard(StatusFailed, all[0].JobID) {
		t.Errorf("listed item %+v: want the projection (model, input, shard) without the output", all[0])
	}
	newest := listMerged(t, r, Window{Newest: true})
	if got := jobIDs(newest); !equal(got, reversed(want)) {
		t.Fatalf("newest first: %v\nwant %v", got, reversed(want))
	}
	for _, w := range []Window{{}, {Newest: true}} {
		if paged := listPaged(t, r, w, 7); !equal(paged, jobIDs(listMerged(t, r, w))) {
			t.Errorf("paging by cursor (newest first %v): %v", w.Newest, paged)
		}
	}
	checkUntilSince(t, r, all, all[20].UpdatedAt)
	checkResetMovesShard(t, r, all[0].JobID, len(all))
}

// TestListWindowNewestFirstInOneShard: jobs of one shard, listed by
// small pages newest first, come page by page from the newest (the shard
// read backwards, not its oldest entries sorted afterwards).
func TestListWindowNewestFirstInOneShard(t *testing.T) {
	r, clock := clockedTable(t)
	var want []string
	for i := 0; len(want) < 12; i++ {
		id := name("oneshard")
		if StatusShard(StatusFailed, id) != StatusShard(StatusFailed, "oneshard-target") {
			continue
		}
		rec := Record{JobID: id, Status: StatusFailed, Model: "iris-rf", ClaimToken: "t"}
		if _, err := r.Put(context.Background(), rec, clock.Now()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Millisecond)
		want = append([]string{id}, want...)
	}
	first, err := r.ListWindow(context.Background(), StatusFailed, Window{Newest: true}, 3)
	if err != nil || !equal(jobIDs(first), want[:3]) {
		t.Fatalf("first page newest first: %v (%v), want %v", jobIDs(first), err, want[:3])
	}
	if paged := listPaged(t, r, Window{Newest: true}, 3); !equal(paged, want) {
		t.Errorf("pages newest first: %v\nwant %v", paged, want)
	}
}

// putFailedAcrossShards writes n FAILED jobs one millisecond apart (every
// fifth shares its timestamp with the next: job_id breaks the tie) and
// returns their ids in writing order.
func putFailedAcrossShards(t *testing.T, r *Results, clock *fakeClock, n int) []string {
	t.Helper()
	var ids []string
	shards := map[string]bool{}
	for i := range n {
		id := name(fmt.Sprintf("shard%02d", i))
		rec := Record{JobID: id, Status: StatusFailed, Model: "iris-rf", Input: "s3://b/k", ClaimToken: "t",
			Output: map[string]any{"big": "not projected"}}
		if _, err := r.Put(context.Background(), rec, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if i%5 != 4 {
			clock.Advance(time.Millisecond)
		}
		ids = append(ids, id)
		shards[StatusShard(StatusFailed, id)] = true
	}
	if len(shards) < 10 {
		t.Fatalf("%d jobs fell in only %d shards: the test would not exercise the merge", n, len(shards))
	}
	return ids
}

// listMerged lists every FAILED job in w and checks the merged order.
func listMerged(t *testing.T, r *Results, w Window) []Record {
	t.Helper()
	all, err := r.ListWindow(context.Background(), StatusFailed, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		if !w.follows(CursorOf(all[i-1]), all[i]) {
			t.Fatalf("not in (updated_at, job_id) order (newest first %v) at %d: %+v then %+v", w.Newest, i, CursorOf(all[i-1]), CursorOf(all[i]))
		}
	}
	return all
}

// listPaged lists the FAILED jobs in w by pages of size, each from the
// cursor of the one before.
func listPaged(t *testing.T, r *Results, w Window, size int) []string {
	t.Helper()
	var paged []string
	for {
		page, err := r.ListWindow(context.Background(), StatusFailed, w, size)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return paged
		}
		paged = append(paged, jobIDs(page)...)
		w.After = CursorOf(page[len(page)-1])
	}
}

// checkUntilSince: Until is exclusive, Since inclusive, so the two halves
// split at mid add up to everything listed.
func checkUntilSince(t *testing.T, r *Results, all []Record, mid string) {
	t.Helper()
	at, _ := time.Parse(time.RFC3339Nano, mid)
	before, err := r.ListWindow(context.Background(), StatusFailed, Window{Until: at}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range before {
		if rec.UpdatedAt >= mid {
			t.Errorf("until %s listed %s", mid, rec.UpdatedAt)
		}
	}
	since, err := r.ListWindow(context.Background(), StatusFailed, Window{Since: at}, 0)
	if err != nil || len(before)+len(since) != len(all) {
		t.Errorf("before %d + since %d, want %d (%v)", len(before), len(since), len(all), err)
	}
}

// checkResetMovesShard: a reset moves the job to IN_PROGRESS's shard, out
// of the FAILED listing of n jobs.
func checkResetMovesShard(t *testing.T, r *Results, id string, n int) {
	t.Helper()
	ctx := context.Background()
	if err := r.Reset(ctx, id, StatusFailed); err != nil {
		t.Fatal(err)
	}
	rec, err := r.Get(ctx, id)
	if err != nil || rec.StatusShard != StatusShard(StatusInProgress, id) {
		t.Fatalf("after reset: %+v (%v)", rec, err)
	}
	left, err := r.ListByStatus(ctx, StatusFailed, time.Time{}, 0)
	if err != nil || len(left) != n-1 {
		t.Errorf("after one reset %d FAILED jobs listed (%v), want %d", len(left), err, n-1)
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
