package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/store"
)

// TestCrashMidBatch SIGKILLs the function process while it holds claims.
// The batch's messages come back after the visibility timeout, by which
// time the claims' leases (the invocation's remaining time) have run out;
// the restarted function takes the jobs over and completes them, and jobs
// finished before the crash are not run again.
//
// It runs under both protocols (docs/idempotency.md): with every job
// claimed, where the kill leaves leases to take over, and with the default
// optimistic completion, where it leaves nothing but unfinished jobs.
func TestCrashMidBatch(t *testing.T) {
	for _, claim := range []string{"always", "auto"} {
		t.Run("claim="+claim, func(t *testing.T) { crashMidBatch(t, claim) })
	}
}

func crashMidBatch(t *testing.T, claim string) {
	// After the crash RIE starts a new function inside the next invoke, so
	// its cold start counts against that invocation: 8 s leaves room for
	// it. The visibility timeout is a bit longer, so the leases taken by
	// the killed invocation have run out when the messages come back.
	s := newSystem(t, sysOptions{Timeout: 8 * time.Second, Visibility: 10 * time.Second, Env: []string{"BATCHINFER_CLAIM=" + claim}})
	objs := s.uploadLines(16, 41)
	irisIDs, irisBodies := irisJobs("crash", 60)
	ids, bodies := s.mixed(irisIDs, irisBodies, objs, 0)
	ocrIDs := ids[len(irisIDs):]
	s.send(bodies...)

	// OCR rows are the slowest inference, so watching a few of them shows
	// when claims are held and work is still running; without claims, the
	// first finished OCR pack (of four) shows the batch is under way, with
	// the other packs and the iris rows still to come.
	watch := ocrIDs[:4]
	if claim == "auto" {
		watch = ocrIDs
	}
	s.waitUnderway(watch, claim)
	pids := s.killFunction()
	killed := time.Now()

	before := map[string]*store.Record{}
	inFlight := 0
	for i, r := range s.getAll(ids) {
		before[ids[i]] = r
		if r == nil || !store.Status(r.Status).Final() {
			inFlight++
		}
	}
	if inFlight == 0 {
		t.Fatal("every job was already final when the function was killed: not a mid-batch crash")
	}
	t.Logf("killed %v with %d of %d jobs unfinished", pids, inFlight, len(ids))

	recs := s.waitFinal(ids, 60*time.Second)
	t.Logf("all jobs final %s after the crash", time.Since(killed).Round(time.Millisecond))
	s.checkSucceeded(irisIDs, objs, recs)
	if claim == "always" {
		s.checkOncePerJob(ids, recs, 0)
	} else {
		// Writes in flight at the kill still land (the requests were sent),
		// their log lines die with the process: what holds is one stored
		// outcome per job, written once (attempts 1: no takeover needed).
		s.checkNoDoubleOutcome(ids)
		for _, id := range ids {
			if recs[id].Attempts != 1 {
				t.Errorf("job %s stored with attempts %d, want 1", id, recs[id].Attempts)
			}
		}
	}
	attempts := map[int]int{}
	for _, id := range ids {
		b, r := before[id], recs[id]
		switch {
		case b != nil && b.Status == store.StatusSucceeded && r.Attempts != 1:
			t.Errorf("job %s was SUCCEEDED before the crash but claimed %d times", id, r.Attempts)
		case b != nil && b.Status == store.StatusInProgress && r.Attempts < 2:
			t.Errorf("job %s was IN_PROGRESS at the crash, attempts %d, want ≥ 2 (taken over)", id, r.Attempts)
		}
		attempts[r.Attempts]++
	}
	// More than 2 means a later invocation ran out of time too (a loaded
	// machine): legitimate, as long as inference still ran once.
	t.Logf("jobs by attempts: %v", attempts)
	s.waitQueueDrained(15 * time.Second)
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d jobs in the DLQ, want none", len(dl))
	}
}

// waitUnderway waits until a watched job is claimed (IN_PROGRESS), or,
// without claims (claim auto), final: the batch is under way.
func (s *system) waitUnderway(watch []string, claim string) {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		for _, r := range s.getAll(watch) {
			if r != nil && (r.Status == store.StatusInProgress || claim == "auto" && r.Status.Final()) {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no claim appeared within 30 s\n%s", s.logs.Tail(20))
		}
	}
}

// killFunction SIGKILLs the function processes RIE runs and returns their pids.
func (s *system) killFunction() []int {
	s.t.Helper()
	pids := s.rie.HandlerPIDs()
	if len(pids) == 0 {
		s.t.Fatal("claims are held but RIE has no function process")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			s.t.Fatalf("kill function process %d: %v", pid, err)
		}
	}
	return pids
}
