package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func outcome(id, hash, token string, st Status) Record {
	rec := job(id, hash)
	rec.Status, rec.ClaimToken = st, token
	rec.Output = map[string]any{"label": "setosa"}
	return rec
}

// TestPutProtocol walks the optimistic write through every state an item
// can be found in.
func TestPutProtocol(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Now()}
	cases := []struct {
		name  string
		setup func(r *Results) // the item as the Put finds it
		since time.Time
		want  PutOutcome
	}{
		{"absent", func(r *Results) {}, time.Time{}, Written},
		{"own write whose answer was lost", func(r *Results) {
			mustPut(t, r, outcome("j", "h", "tok", StatusSucceeded))
		}, time.Time{}, Written},
		{"finished by another attempt", func(r *Results) {
			mustPut(t, r, outcome("j", "h", "other", StatusSucceeded))
		}, time.Time{}, PutDone},
		{"another payload", func(r *Results) {
			mustPut(t, r, outcome("j", "h2", "other", StatusFailed))
		}, time.Time{}, PutConflict},
		{"claimed, lease live", func(r *Results) { mustClaim(t, r, job("j", "h"), time.Minute) }, time.Time{}, PutBusy},
		{"claimed, lease expired (crashed)", func(r *Results) {
			mustClaim(t, r, job("j", "h"), time.Second)
			clock.Advance(2 * time.Second)
		}, time.Time{}, PutExpired},
		{"reset after this attempt began", func(r *Results) {
			mustPut(t, r, outcome("j", "h", "other", StatusFailed))
			clock.Advance(time.Second)
			if err := r.Reset(ctx, "j", StatusFailed); err != nil {
				t.Fatal(err)
			}
		}, clock.Now(), PutStale},
		{"reset before this attempt began", func(r *Results) {
			mustPut(t, r, outcome("j", "h", "other", StatusFailed))
			if err := r.Reset(ctx, "j", StatusFailed); err != nil {
				t.Fatal(err)
			}
		}, clock.Now().Add(time.Hour), PutExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTable(t)
			r.Now = clock.Now
			tc.setup(r)
			res, err := r.Put(ctx, outcome("j", "h", "tok", StatusSucceeded), tc.since)
			if err != nil || res.Outcome != tc.want {
				t.Fatalf("Put = %v, %v; want %v", res.Outcome, err, tc.want)
			}
			got, _ := r.Get(ctx, "j")
			if mine := got.ClaimToken == "tok" && got.Status == StatusSucceeded; mine != (tc.want == Written) {
				t.Errorf("item after Put: %+v (written by this attempt: %v)", got, mine)
			}
		})
	}
}

func mustPut(t *testing.T, r *Results, rec Record) {
	t.Helper()
	if res, err := r.Put(context.Background(), rec, time.Time{}); err != nil || res.Outcome != Written {
		t.Fatalf("Put(%s) = %v, %v", rec.JobID, res.Outcome, err)
	}
}

func TestPutThenClaimOfAnExpiredItemCompletes(t *testing.T) {
	r := newTable(t)
	clock := &fakeClock{now: time.Now()}
	r.Now = clock.Now
	mustClaim(t, r, job("j", "h"), time.Second)
	clock.Advance(2 * time.Second)
	res := mustClaim(t, r, job("j", "h"), time.Minute)
	complete(t, r, job("j", "h"), res.Token, StatusSucceeded)
	if got, _ := r.Get(context.Background(), "j"); got.Attempts != 2 || got.Status != StatusSucceeded {
		t.Fatalf("item %+v, want SUCCEEDED after 2 attempts", got)
	}
}

func TestLookupFindsEveryItemInChunksOf100(t *testing.T) {
	ctx := context.Background()
	r := newTable(t)
	var ids []string
	for i := range 250 {
		id := fmt.Sprintf("j%03d", i)
		ids = append(ids, id)
		if i%2 == 0 {
			mustPut(t, r, outcome(id, "h", "tok", StatusSucceeded))
		}
	}
	found, err := r.Lookup(ctx, append(ids, ids[:10]...)) // repeated ids are asked once
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 125 {
		t.Fatalf("found %d items, want 125", len(found))
	}
	for i, id := range ids {
		if _, ok := found[id]; ok != (i%2 == 0) {
			t.Errorf("%s found=%v", id, ok)
		}
	}
}

func TestSaveProgressHoldsOnlyWithTheClaim(t *testing.T) {
	ctx := context.Background()
	r := newTable(t)
	res := mustClaim(t, r, job("f", "h"), time.Minute)
	rec := job("f", "h")
	rec.ClaimToken = res.Token
	rec.Progress = &Progress{Offset: 1234, Records: 10, Succeeded: 9, Failed: 1, Errors: map[string]int64{"malformed_job": 1},
		UploadID: "u", Key: "results/f.jsonl", Parts: []Part{{Number: 1, ETag: "e1"}}, Header: []string{"id", "a"}}
	if err := r.SaveProgress(ctx, rec, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, _ := r.Get(ctx, "f")
	if got.Progress == nil || got.Progress.Offset != 1234 || len(got.Progress.Parts) != 1 || got.Progress.Errors["malformed_job"] != 1 || got.LeaseExpiresAt != 0 {
		t.Fatalf("item %+v progress %+v, want the progress with the lease released", got, got.Progress)
	}
	// Released: the next delivery claims it at once, progress intact.
	again := mustClaim(t, r, job("f", "h"), time.Minute)
	if again.Existing.Progress == nil || again.Existing.Progress.Records != 10 {
		t.Fatalf("claimed item %+v lost its progress", again.Existing)
	}
	if err := r.SaveProgress(ctx, rec, time.Time{}); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("save with the old token: %v, want ErrClaimLost", err)
	}
	complete(t, r, job("f", "h"), again.Token, StatusSucceeded)
	if got, _ := r.Get(ctx, "f"); got.Progress != nil {
		t.Fatalf("progress kept after completion: %+v", got.Progress)
	}
}
