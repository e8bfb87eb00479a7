package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestResetOnlyFromTheStatusRead(t *testing.T) {
	ctx := context.Background()
	r := newTable(t)
	rec := Record{JobID: "j", Model: "iris-rf", Input: "s3://b/k", PayloadHash: "h1"}
	res, err := r.Claim(ctx, rec, time.Minute)
	if err != nil || res.Outcome != Claimed {
		t.Fatalf("claim: %+v %v", res, err)
	}
	rec.ClaimToken, rec.Status = res.Token, StatusFailed
	if err := r.Complete(ctx, rec); err != nil {
		t.Fatal(err)
	}

	if err := r.Reset(ctx, "j", StatusSucceeded); !errors.Is(err, ErrChanged) {
		t.Fatalf("reset of a FAILED item expecting SUCCEEDED: %v, want ErrChanged", err)
	}
	if got, _ := r.Get(ctx, "j"); got == nil || got.Status != StatusFailed {
		t.Fatalf("item after refused reset: %+v", got)
	}
	if err := r.Reset(ctx, "j", StatusFailed); err != nil {
		t.Fatalf("reset: %v", err)
	}
	got, _ := r.Get(ctx, "j")
	if got == nil || got.Status != StatusInProgress || got.ResetAt == 0 || got.PayloadHash != "" || got.Error != nil || got.LeaseExpiresAt != 0 {
		t.Fatalf("item after reset: %+v, want IN_PROGRESS with reset_at, no lease, hash or outcome", got)
	}
	if err := r.Reset(ctx, "j", StatusFailed); !errors.Is(err, ErrChanged) {
		t.Fatalf("reset of a reset item: %v, want ErrChanged", err)
	}
	if err := r.Reset(ctx, "absent", StatusFailed); !errors.Is(err, ErrChanged) {
		t.Fatalf("reset of a missing item: %v, want ErrChanged", err)
	}
	// A new claim with another payload is now allowed: the reset job starts over.
	if res, err := r.Claim(ctx, Record{JobID: "j", PayloadHash: "h2"}, time.Minute); err != nil || res.Outcome != Claimed {
		t.Fatalf("claim after reset: %+v %v", res, err)
	}
}
