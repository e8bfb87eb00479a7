package worker

import (
	"context"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// run takes the planned tasks through their work. A batch from a standard
// queue is one wave. A batch from a FIFO queue (its eventSourceARN ends in
// .fifo) runs in waves by position within each message group: the first
// message of every group, then the second, and so on, so that once a
// message of a group is to be retried, every later message of that group
// is decided before it runs, and reported for retry without running (Lambda's
// FIFO rule; Powertools' SqsFifoPartialProcessor with skip_group_on_error).
// Other groups go on. Permanent failures are outcomes, not retries: their
// group goes on, as it does after a success.
func (w *Worker) run(workCtx, finishCtx context.Context, inv *jobs.Invocation, tasks []*task, deadline time.Time) {
	blocked := map[string]bool{}
	for _, wave := range fifoWaves(inv, tasks) {
		for _, t := range wave {
			if g := groupOf(t.msg); blocked[g] && t.state == pending {
				t.retry(jobs.Errorf(jobs.CodeGroupBlocked,
					"an earlier message of FIFO message group %q is retried: this one waits for it", g))
			}
		}
		w.lookup(workCtx, wave)
		w.claim(workCtx, wave, deadline)
		w.runSuspects(workCtx, finishCtx, wave)
		w.runSingles(workCtx, finishCtx, wave)
		w.runRecordFiles(workCtx, finishCtx, wave, deadline)
		w.finishFailures(finishCtx, wave)
		for _, t := range wave {
			if t.dupOf == nil && (t.state == retryLater || t.state == pending) {
				blocked[groupOf(t.msg)] = true
			}
		}
	}
}

// fifoWaves splits tasks into waves: all of them when the batch is not
// from a FIFO queue, else by each message's position within its group.
func fifoWaves(inv *jobs.Invocation, tasks []*task) [][]*task {
	if len(inv.Messages) == 0 || !store.IsFIFOQueue(inv.Messages[0].Delivered.EventSourceARN) {
		return [][]*task{tasks}
	}
	position := map[*jobs.Message]int{}
	seen := map[string]int{}
	for i := range inv.Messages {
		m := &inv.Messages[i]
		g := groupOf(m)
		position[m] = seen[g]
		seen[g]++
	}
	var waves [][]*task
	for _, t := range tasks {
		k := position[t.msg]
		for len(waves) <= k {
			waves = append(waves, nil)
		}
		waves[k] = append(waves[k], t)
	}
	return waves
}

// groupOf is a message's MessageGroupId ("" outside FIFO queues).
func groupOf(m *jobs.Message) string { return m.Delivered.Attributes["MessageGroupId"] }
