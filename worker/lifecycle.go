package worker

import (
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
)

// A task's lifecycle: where one job is in an invocation, and the moves
// between the states. Every change of state goes through a move below,
// which refuses a move the table does not allow (lifecycle_test.go walks
// every pair).
//
//	pending ──► succeeded ──► (retryLater: its completion event is owed)
//	   │  ╲──► failed ──────► (acked: the outcome was written before;
//	   │   ╲                   retryLater: the dead letter or write failed)
//	   │    ╲─► retryLater ──► (acked: another attempt owns the job;
//	   │                        retryLater: again)
//	   └──► acked (a duplicate, a reset, a file carried on: nothing to do)
type taskState int

const (
	pending    taskState = iota // still to run
	acked                       // nothing more to do: the message may be deleted
	retryLater                  // report as a batch item failure
	succeeded                   // the output is (being) stored
	failed                      // permanently: a dead letter and a FAILED item
)

// legalMoves lists, for each state, the states a task may move to.
var legalMoves = map[taskState][]taskState{
	pending:    {acked, retryLater, succeeded, failed},
	succeeded:  {acked, retryLater, failed},
	failed:     {acked, retryLater},
	retryLater: {acked, retryLater},
	acked:      {},
}

// errIllegalMove is a move the lifecycle does not allow: a bug, which the
// task keeps in its error (so the message is retried, not lost).
type errIllegalMove struct{ from, to taskState }

func (e errIllegalMove) Error() string {
	return fmt.Sprintf("internal: a task may not move from %s to %s", e.from, e.to)
}

// move changes t's state to `to`, or refuses an illegal move: t then keeps
// its state, and the refusal joins t.err.
func (t *task) move(to taskState) bool {
	for _, ok := range legalMoves[t.state] {
		if ok == to {
			t.state = to
			return true
		}
	}
	t.err = jobs.Wrap(jobs.CodeInternal, errIllegalMove{t.state, to}, "job %s", t.job.ID)
	return false
}

// inPlay says whether t still has work in this invocation: a first
// delivery of its job (not a repeat folded onto another task) still pending.
func (t *task) inPlay() bool { return t.dupOf == nil && t.state == pending }

// succeed records the output to store.
func (t *task) succeed(output map[string]any) {
	if t.move(succeeded) {
		t.output = output
	}
}

// fail ends t with err: failed when permanent, else retried later.
func (t *task) fail(err error) {
	if !jobs.IsPermanent(err) {
		t.retry(err)
		return
	}
	if t.move(failed) {
		t.err = err
	}
}

// failWith ends t permanently with err, whatever its code (a conflict, a
// message that does not decode, a model not served).
func (t *task) failWith(err error) {
	if t.move(failed) {
		t.err = err
	}
}

// retry leaves t's message for a later delivery.
func (t *task) retry(err error) {
	if t.move(retryLater) {
		t.err = err
	}
}

// ack ends t with nothing more to do; note says why (for the log).
func (t *task) ack(note string) {
	if t.move(acked) {
		t.err, t.note = nil, note
	}
}

func (s taskState) String() string {
	switch s {
	case acked:
		return "SKIPPED"
	case retryLater:
		return "RETRY"
	case succeeded:
		return "SUCCEEDED"
	case failed:
		return "FAILED"
	default:
		return "PENDING"
	}
}

// time adds the time since `since` to the phase name, on the worker's
// clock (Worker.now), as start times are.
func (t *task) time(name string, since time.Time) {
	t.timing[name] += t.now().Sub(since).Milliseconds()
}
