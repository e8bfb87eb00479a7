package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock lets tests move time past a lease without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// clockedTable is a fresh table whose writes are stamped by a fake clock.
func clockedTable(t *testing.T) (*Results, *fakeClock) {
	t.Helper()
	r := newTable(t)
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r.Now = clock.Now
	return r, clock
}

func job(id, hash string) Record {
	return Record{JobID: id, Status: StatusInProgress, Model: "iris-rf", ModelVersion: "1",
		Input: "inline", PayloadHash: hash, MessageID: "m-" + id, Metadata: map[string]any{"batch": "b1"}}
}

// claim must succeed as Claimed.
func mustClaim(t *testing.T, r *Results, rec Record, lease time.Duration) ClaimResult {
	t.Helper()
	res, err := r.Claim(context.Background(), rec, lease)
	if err != nil {
		t.Fatalf("Claim(%s): %v", rec.JobID, err)
	}
	if res.Outcome != Claimed || res.Token == "" || res.Existing == nil {
		t.Fatalf("Claim(%s) = %v token %q existing %v, want Claimed with a token and the item", rec.JobID, res.Outcome, res.Token, res.Existing)
	}
	return res
}

func complete(t *testing.T, r *Results, rec Record, token string, st Status) {
	t.Helper()
	rec.Status, rec.ClaimToken = st, token
	if st == StatusFailed {
		rec.Error = &ErrorInfo{Code: "undecodable_image", Message: "truncated PNG"}
	} else {
		rec.Output = map[string]any{"label": "setosa"}
	}
	if err := r.Complete(context.Background(), rec); err != nil {
		t.Fatalf("Complete(%s, %s): %v", rec.JobID, st, err)
	}
}

func TestClaimStateMachine(t *testing.T) {
	r := newTable(t)
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r.Now = clock.Now

	tests := []struct {
		name     string
		setup    func(t *testing.T, id string) // brings the item to the starting state
		hash     string
		want     ClaimOutcome
		attempts int // of the item after a Claimed outcome
	}{
		{name: "absent", setup: func(*testing.T, string) {}, hash: "h1", want: Claimed, attempts: 1},
		{name: "succeeded", hash: "h1", want: Done, setup: func(t *testing.T, id string) {
			complete(t, r, job(id, "h1"), mustClaim(t, r, job(id, "h1"), time.Minute).Token, StatusSucceeded)
		}},
		{name: "failed", hash: "h1", want: Done, setup: func(t *testing.T, id string) {
			complete(t, r, job(id, "h1"), mustClaim(t, r, job(id, "h1"), time.Minute).Token, StatusFailed)
		}},
		{name: "in progress, lease running", hash: "h1", want: Busy, setup: func(t *testing.T, id string) {
			mustClaim(t, r, job(id, "h1"), time.Minute)
		}},
		{name: "in progress, lease expired", hash: "h1", want: Claimed, attempts: 2, setup: func(t *testing.T, id string) {
			mustClaim(t, r, job(id, "h1"), time.Second)
			clock.Advance(2 * time.Second)
		}},
		{name: "different payload, absent hash state succeeded", hash: "h2", want: Conflict, setup: func(t *testing.T, id string) {
			complete(t, r, job(id, "h1"), mustClaim(t, r, job(id, "h1"), time.Minute).Token, StatusSucceeded)
		}},
		{name: "different payload, lease running", hash: "h2", want: Conflict, setup: func(t *testing.T, id string) {
			mustClaim(t, r, job(id, "h1"), time.Minute)
		}},
		{name: "different payload, lease expired", hash: "h2", want: Conflict, setup: func(t *testing.T, id string) {
			mustClaim(t, r, job(id, "h1"), time.Second)
			clock.Advance(2 * time.Second)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := name("job")
			tc.setup(t, id)
			before, _ := r.Get(context.Background(), id)
			res, err := r.Claim(context.Background(), job(id, tc.hash), time.Minute)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if res.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v", res.Outcome, tc.want)
			}
			after, err := r.Get(context.Background(), id)
			if err != nil || after == nil {
				t.Fatalf("Get after claim: %v, %v", after, err)
			}
			if tc.want != Claimed {
				checkRefusedClaim(t, res, before, after)
				return
			}
			if after.Status != StatusInProgress || after.ClaimToken != res.Token || after.Attempts != tc.attempts {
				t.Errorf("item = status %s token %s attempts %d; want IN_PROGRESS, %s, %d", after.Status, after.ClaimToken, after.Attempts, res.Token, tc.attempts)
			}
			if res.Existing.Attempts != tc.attempts || res.Existing.ClaimToken != res.Token {
				t.Errorf("Existing = %+v, want the claimed item", res.Existing)
			}
			if before != nil && after.CreatedAt != before.CreatedAt {
				t.Errorf("created_at changed from %s to %s on takeover", before.CreatedAt, after.CreatedAt)
			}
			if want := clock.Now().Add(time.Minute).UnixMilli(); after.LeaseExpiresAt != want {
				t.Errorf("lease_expires_at %d, want %d", after.LeaseExpiresAt, want)
			}
			if after.ExpiresAt != clock.Now().Add(time.Hour).Unix() || after.Metadata["batch"] != "b1" || after.Model != "iris-rf" {
				t.Errorf("claimed item lacks its fields: %+v", after)
			}
		})
	}
}

// checkRefusedClaim: a claim refused hands out no token, answers the item
// as it was, and changes nothing.
func checkRefusedClaim(t *testing.T, res ClaimResult, before, after *Record) {
	t.Helper()
	if res.Token != "" {
		t.Errorf("token %q handed out without a claim", res.Token)
	}
	if res.Existing == nil || res.Existing.ClaimToken != before.ClaimToken {
		t.Errorf("Existing = %+v, want the item as it was (%+v)", res.Existing, before)
	}
	if claimFields(after) != claimFields(before) {
		t.Errorf("item changed by a refused claim: before %+v after %+v", before, after)
	}
}

// claimFields are the fields a claim writes (Record itself holds maps and
// is not comparable).
func claimFields(r *Record) [6]any {
	return [6]any{r.Status, r.ClaimToken, r.Attempts, r.LeaseExpiresAt, r.UpdatedAt, r.PayloadHash}
}

func TestCompleteStaleTokenLosesAndNewerOutcomeStays(t *testing.T) {
	r := newTable(t)
	clock := &fakeClock{now: time.Now()}
	r.Now = clock.Now
	ctx := context.Background()
	id := name("job")

	slow := mustClaim(t, r, job(id, "h"), time.Second)
	clock.Advance(2 * time.Second) // the slow attempt's lease runs out
	fresh := mustClaim(t, r, job(id, "h"), time.Minute)
	if fresh.Token == slow.Token || fresh.Existing.Attempts != 2 {
		t.Fatalf("takeover: token reused or attempts %d != 2", fresh.Existing.Attempts)
	}
	complete(t, r, job(id, "h"), fresh.Token, StatusSucceeded)

	stale := job(id, "h")
	stale.Status, stale.ClaimToken = StatusFailed, slow.Token
	stale.Error = &ErrorInfo{Code: "timeout", Message: "late"}
	if err := r.Complete(ctx, stale); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("stale Complete = %v, want ErrClaimLost", err)
	}
	got, _ := r.Get(ctx, id)
	if got.Status != StatusSucceeded || got.Error != nil || got.Output["label"] != "setosa" {
		t.Fatalf("newer outcome overwritten: %+v", got)
	}
	if got.LeaseExpiresAt != 0 || got.ClaimToken != fresh.Token {
		t.Errorf("completed item keeps lease %d / token %q", got.LeaseExpiresAt, got.ClaimToken)
	}

	// The holder may repeat its own completion (an answer lost in transit)…
	complete(t, r, job(id, "h"), fresh.Token, StatusSucceeded)
	// …but not turn it into another outcome.
	flip := job(id, "h")
	flip.Status, flip.ClaimToken = StatusFailed, fresh.Token
	if err := r.Complete(ctx, flip); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("flipping a final outcome = %v, want ErrClaimLost", err)
	}
	// A job nobody claimed cannot be completed.
	if err := r.Complete(ctx, Record{JobID: name("job"), Status: StatusSucceeded, ClaimToken: "x"}); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("Complete of an absent job = %v, want ErrClaimLost", err)
	}
	if err := r.Complete(ctx, Record{JobID: id, Status: StatusInProgress, ClaimToken: fresh.Token}); err == nil {
		t.Fatal("Complete accepted status IN_PROGRESS")
	}
}

func TestConcurrentClaimsExactlyOneWins(t *testing.T) {
	r := newTable(t)
	id := name("job")
	const n = 20
	outcomes := make([]ClaimOutcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := r.Claim(context.Background(), job(id, "h"), time.Minute)
			outcomes[i], errs[i] = res.Outcome, err
		})
	}
	close(start)
	wg.Wait()
	count := map[ClaimOutcome]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		count[outcomes[i]]++
	}
	if count[Claimed] != 1 || count[Busy] != n-1 {
		t.Fatalf("outcomes %v, want exactly one claimed and %d busy", count, n-1)
	}
	got, _ := r.Get(context.Background(), id)
	if got.Attempts != 1 {
		t.Errorf("attempts %d, want 1", got.Attempts)
	}
}

func TestGetAbsent(t *testing.T) {
	r := newTable(t)
	got, err := r.Get(context.Background(), "no-such-job")
	if err != nil || got != nil {
		t.Fatalf("Get(absent) = %v, %v; want nil, nil", got, err)
	}
}

func TestListByStatus(t *testing.T) {
	r, clock := clockedTable(t)
	ctx := context.Background()

	var failed []string
	for i := range 7 {
		id := name("job")
		res := mustClaim(t, r, job(id, "h"), time.Minute)
		clock.Advance(time.Duration(i+1) * 100 * time.Millisecond) // fractions that RFC3339Nano would trim
		st := StatusSucceeded
		if i%2 == 1 {
			st = StatusFailed
			failed = append(failed, id)
		}
		complete(t, r, job(id, "h"), res.Token, st)
	}
	mustClaim(t, r, job(name("job"), "h"), time.Minute) // one still running

	all, err := r.ListByStatus(ctx, StatusFailed, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobIDs(all); !equal(ids, failed) {
		t.Fatalf("FAILED jobs %v, want %v in update order", ids, failed)
	}
	for i := 1; i < len(all); i++ {
		if all[i].UpdatedAt <= all[i-1].UpdatedAt {
			t.Errorf("not in updated_at order: %s then %s", all[i-1].UpdatedAt, all[i].UpdatedAt)
		}
	}

	since, _ := time.Parse(time.RFC3339Nano, all[1].UpdatedAt)
	later, err := r.ListByStatus(ctx, StatusFailed, since, 0)
	if err != nil || !equal(jobIDs(later), failed[1:]) {
		t.Fatalf("since %s: %v (%v), want %v", since, jobIDs(later), err, failed[1:])
	}
	two, err := r.ListByStatus(ctx, StatusSucceeded, time.Time{}, 2)
	if err != nil || len(two) != 2 {
		t.Fatalf("limit 2: %d records (%v)", len(two), err)
	}
	running, err := r.ListByStatus(ctx, StatusInProgress, time.Time{}, 0)
	if err != nil || len(running) != 1 {
		t.Fatalf("IN_PROGRESS: %d records (%v), want 1", len(running), err)
	}
}

func jobIDs(recs []Record) []string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.JobID)
	}
	return ids
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A claim whose write landed but whose answer was lost is retried with the
// same token: the retry must find the claim its own, not Busy, or the job
// would wait a whole lease for nobody.
func TestClaimRetryWithOwnTokenIsClaimed(t *testing.T) {
	r := newTable(t)
	ctx := context.Background()
	rec := job(name("lost-answer"), "h1")
	tok, err := NewClaimToken()
	if err != nil {
		t.Fatal(err)
	}
	rec.ClaimToken = tok
	first, err := r.Claim(ctx, rec, time.Minute)
	if err != nil || first.Outcome != Claimed || first.Token != tok {
		t.Fatalf("first claim: %+v, %v", first, err)
	}
	again, err := r.Claim(ctx, rec, time.Minute)
	if err != nil || again.Outcome != Claimed || again.Token != tok {
		t.Fatalf("retried claim: %+v, %v; want Claimed with the same token", again, err)
	}
	if again.Existing.Attempts != 1 {
		t.Errorf("attempts %d after a retried claim, want 1", again.Existing.Attempts)
	}
	other := rec
	other.ClaimToken = ""
	if res, err := r.Claim(ctx, other, time.Minute); err != nil || res.Outcome != Busy {
		t.Errorf("another attempt: %+v, %v; want Busy", res, err)
	}
}
