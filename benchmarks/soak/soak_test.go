package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/store"
)

// report is what a soak run measured.
type report struct {
	Jobs         int
	Elapsed      time.Duration
	MeanReceives float64 // deliveries per job, from the highest receive count its log lines show
	Faults       int     // injected by the proxy (before + after forwarding)
	Kills        int64
}

func (r report) String() string {
	return fmt.Sprintf("%d jobs in %s: %.0f jobs/s, %.2f receives per job, %d faults injected, %d function processes killed",
		r.Jobs, r.Elapsed.Round(time.Millisecond), float64(r.Jobs)/r.Elapsed.Seconds(), r.MeanReceives, r.Faults, r.Kills)
}

// TestSoak is the small storm of the test suite: ~1,000 jobs (a tenth sent
// twice), 20% of S3 and DynamoDB calls failed, four instances, a kill every
// second (of a process past its INIT).
func TestSoak(t *testing.T) {
	r := soak(t, stormOptions{Iris: 900, Images: 60, KillEvery: time.Second}, 3*time.Minute)
	t.Log(r)
}

// TestSoakFIFO runs the storm on a FIFO queue: every group's jobs finish
// in the order they were sent.
func TestSoakFIFO(t *testing.T) {
	r := soak(t, stormOptions{Iris: 240, KillEvery: time.Second, FIFO: true, Groups: 12}, 3*time.Minute)
	t.Log(r)
}

// BenchmarkSoak is the full storm: 10,000 inline iris jobs and 400 images
// (go test -run '^$' -bench Soak -benchtime 1x ./benchmarks/soak).
func BenchmarkSoak(b *testing.B) {
	for b.Loop() {
		r := soak(b, stormOptions{Iris: 10000, Images: 400, KillEvery: 3 * time.Second}, 20*time.Minute)
		b.ReportMetric(float64(r.Jobs)/r.Elapsed.Seconds(), "jobs/s")
		b.ReportMetric(r.MeanReceives, "receives/job")
		b.ReportMetric(float64(r.Faults), "faults")
		b.ReportMetric(float64(r.Kills), "kills")
		b.Log(r)
	}
}

// soak runs one storm and checks its outcome.
func soak(t testing.TB, o stormOptions, timeout time.Duration) report {
	s := startStorm(t, o)
	all := append(irisJobs(t, o.Iris), s.imageJobs(o.Images)...)
	for i := range all {
		if o.FIFO {
			all[i].Group = fmt.Sprintf("g%02d", i%o.Groups)
		}
	}
	ctx, stop := context.WithCancel(s.ctx)
	kill := s.killer(ctx)
	start := time.Now()
	s.send(all)
	recs := s.waitFinal(all, timeout)
	elapsed := time.Since(start)
	stop()
	kill.Wait()
	s.waitDrained(2 * time.Minute)
	s.checkResults(all, recs)
	receives := s.checkLogs(all)
	if o.FIFO {
		checkOrder(t, all, recs)
	}
	if n := s.queued(s.sys.Prov.DLQURL); n != 0 {
		t.Errorf("%d messages in the DLQ, want none", n)
	}
	faults := 0
	for _, c := range s.proxy.Counts() {
		faults += c.Injected + c.InjectedAfterForward
	}
	if faults == 0 || (o.KillEvery > 0 && s.kills.Load() == 0) {
		t.Errorf("%d faults, %d kills: the storm did not happen", faults, s.kills.Load())
	}
	return report{Jobs: len(all), Elapsed: elapsed, MeanReceives: receives, Faults: faults, Kills: s.kills.Load()}
}

// soakStall is how long a storm may go without a job becoming final: a
// stuck system, where the timeout is how long a slow one may take. Eight
// full retry cycles of a job (visibility 10 s, backoff up to 5 s): at load
// 25 the last few jobs of TestSoak, suspects run in child processes of
// instances killed every second, went a minute without one finishing.
const soakStall = 2 * time.Minute

// waitFinal reads the items (BatchGetItem, 100 at a time) until every job
// has a final one. It fails when no job became final for soakStall (the
// storm is stuck), or, on a machine slow enough to keep it moving for that
// long, after three times timeout: progress is what it proves, and a
// loaded machine's speed is no part of it.
func (s *storm) waitFinal(all []job, timeout time.Duration) map[string]*store.Record {
	s.t.Helper()
	res := &store.Results{Client: dynamodb.NewFromConfig(emu.Config(s.ctx)), Table: s.spec.Table}
	got := map[string]*store.Record{}
	began, moved, lastPending := time.Now(), time.Now(), len(all)+1
	for ; ; time.Sleep(500 * time.Millisecond) {
		var pending []string
		for _, j := range all {
			if r := got[j.ID]; r == nil || !r.Status.Final() {
				pending = append(pending, j.ID)
			}
		}
		if len(pending) == 0 {
			return got
		}
		if len(pending) < lastPending {
			moved, lastPending = time.Now(), len(pending)
		}
		if stuck := time.Since(moved) > soakStall; stuck || time.Since(began) > 3*timeout {
			s.t.Fatalf("after %s (the last job final %s ago), %d of %d jobs are not final (e.g. %s); last lines:\n%s",
				time.Since(began).Round(time.Second), time.Since(moved).Round(time.Second), len(pending), len(all), pending[0], s.logs[0].Tail(20))
		}
		for start := 0; start < len(pending); start += 100 {
			found, err := res.Lookup(s.ctx, pending[start:min(start+100, len(pending))])
			if err != nil {
				s.t.Fatal(err)
			}
			for id, r := range found {
				got[id] = r
			}
		}
	}
}

// checkResults: every job SUCCEEDED with the right answer (iris: the
// label and probabilities computed here; images: at least 95% read
// exactly, as the model reads them in its own tests).
func (s *storm) checkResults(all []job, recs map[string]*store.Record) {
	s.t.Helper()
	bad, images, read := 0, 0, 0
	for _, j := range all {
		r := recs[j.ID]
		switch {
		case r.Status != store.StatusSucceeded:
			bad++
			if bad <= 5 {
				s.t.Errorf("job %s: %s %+v, want SUCCEEDED", j.ID, r.Status, r.Error)
			}
		case j.Text != "":
			images++
			if text, _ := r.Output["text"].(string); text == j.Text {
				read++
			}
		case r.Output["label"] != j.Label || !sameProbs(r.Output["probabilities"], j.Probs):
			bad++
			if bad <= 5 {
				s.t.Errorf("job %s: output %v, want label %s with %v", j.ID, r.Output, j.Label, j.Probs)
			}
		}
	}
	if images > 0 && float64(read) < 0.95*float64(images) {
		s.t.Errorf("%d of %d images read exactly, want ≥ 95%%", read, images)
	}
	if bad > 0 {
		s.t.Errorf("%d of %d jobs without the right result", bad, len(all))
	}
}

func sameProbs(got any, want map[string]float64) bool {
	m, _ := got.(map[string]any)
	if len(m) != len(want) {
		return false
	}
	for k, v := range want {
		f, _ := m[k].(float64)
		if math.Abs(f-v) > 1e-5 {
			return false
		}
	}
	return true
}

// checkLogs: no completion was written twice (at most one SUCCEEDED line
// per job; lines of killed processes may be lost, never doubled), and the
// mean of each job's highest receive count.
func (s *storm) checkLogs(all []job) float64 {
	s.t.Helper()
	succeeded, receives := map[string]int{}, map[string]int{}
	for _, b := range s.logs {
		for _, line := range strings.Split(b.String(), "\n") {
			var l struct {
				Msg, Status string
				JobID       string `json:"job_id"`
				Receives    int    `json:"receive_count"`
			}
			if i := strings.IndexByte(line, '{'); i < 0 || json.Unmarshal([]byte(line[i:]), &l) != nil || l.Msg != "job" {
				continue
			}
			if l.Status == "SUCCEEDED" {
				succeeded[l.JobID]++
			}
			receives[l.JobID] = max(receives[l.JobID], l.Receives)
		}
	}
	total := 0
	for _, j := range all {
		if n := succeeded[j.ID]; n > 1 {
			s.t.Errorf("job %s: %d SUCCEEDED lines, a completion written twice", j.ID, n)
		}
		total += max(receives[j.ID], 1)
	}
	return float64(total) / float64(len(all))
}

// checkOrder: in each FIFO group, jobs finished in the order they were
// sent (updated_at, milliseconds, never decreasing).
func checkOrder(t testing.TB, all []job, recs map[string]*store.Record) {
	t.Helper()
	last := map[string]string{}
	for _, j := range all {
		r := recs[j.ID]
		if prev := last[j.Group]; r.UpdatedAt < prev {
			t.Errorf("group %s: job %s finished at %s, before the job sent ahead of it (%s)", j.Group, j.ID, r.UpdatedAt, prev)
		}
		last[j.Group] = r.UpdatedAt
	}
}

// waitDrained waits until the jobs queue holds nothing, visible or not.
func (s *storm) waitDrained(timeout time.Duration) {
	s.t.Helper()
	for end := time.Now().Add(timeout); s.queued(s.sys.Prov.QueueURL) > 0; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(end) {
			s.t.Errorf("the jobs queue still holds %d messages after %s", s.queued(s.sys.Prov.QueueURL), timeout)
			return
		}
	}
}

func (s *storm) queued(url string) int {
	b, err := (&store.Queue{Client: s.sys.ESM.SQS, URL: url}).Backlog(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return b.Visible + b.InFlight
}
