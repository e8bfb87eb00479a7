package e2e

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startPoller runs the real binary in poll mode (the same core outside
// Lambda: ECS, EKS, a GPU box) on the system's queue.
func (s *system) startPoller() *exec.Cmd {
	s.t.Helper()
	cmd := exec.Command(binary, "poll")
	cmd.Env = append(s.workerEnv(),
		"BATCHINFER_QUEUE_URL="+s.prov.QueueURL,
		"BATCHINFER_POLL_BATCH_SIZE=50",
		"BATCHINFER_POLL_WINDOW=300ms",
		"BATCHINFER_POLL_WAIT=1s",
	)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start batchinfer poll: %v", err)
	}
	s.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// The poll binary processes a mixed load, stops cleanly on SIGTERM in the
// middle of a second wave (exit 0, nothing lost), and a new poller
// finishes what the first left on the queue, each job once.
func TestPollModeBinaryDrainsAndStopsOnSIGTERM(t *testing.T) {
	s := newSystem(t, sysOptions{NoFunction: true, Visibility: 20 * time.Second})
	objs := s.uploadLines(10, 11)
	var ids, bodies []string
	for _, o := range objs {
		ids, bodies = append(ids, o.JobID), append(bodies, notification(s.spec.InputBucket, o))
	}
	irisIDs, irisBodies := irisJobs("poll-a", 100)
	ids, bodies = append(ids, irisIDs...), append(bodies, irisBodies...)

	first := s.startPoller()
	s.send(bodies...)
	recs := s.waitFinal(ids, 90*time.Second)
	for _, o := range objs {
		if r := recs[o.JobID]; r.Status != "SUCCEEDED" {
			t.Errorf("OCR job %s: %s", o.JobID, r.Status)
		}
	}
	for _, id := range irisIDs {
		s.checkIris(id, recs[id])
	}

	// A second wave, and SIGTERM while it is being worked on.
	waveIDs, waveBodies := irisJobs("poll-b", 300)
	s.send(waveBodies...)
	time.Sleep(300 * time.Millisecond)
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("poll exited with %v after SIGTERM, want status 0\n%s", err, s.logs.Tail(20))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("poll did not stop within 30s of SIGTERM\n%s", s.logs.Tail(20))
	}

	before := s.succeededLines()
	done := 0
	for _, id := range waveIDs {
		done += before[id]
	}
	t.Logf("the first poller finished %d of %d second-wave jobs before it stopped", done, len(waveIDs))

	s.startPoller()
	all := append(ids, waveIDs...)
	recs = s.waitFinal(all, 90*time.Second)
	for _, id := range waveIDs {
		s.checkIris(id, recs[id])
	}
	s.checkOncePerJob(all, recs, 1)
	s.waitQueueDrained(30 * time.Second)
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d dead letters, want none", len(dl))
	}
}
