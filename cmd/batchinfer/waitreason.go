package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

// waitWatch is the results table as `--wait` reads it, remembering each
// job's last item, so the wait can say what it is waiting for: jobs
// claimed by a worker (IN_PROGRESS, until when), jobs with no item yet,
// and what the jobs queue holds.
type waitWatch struct {
	r     *store.Results
	queue *store.Queue // nil: the queue is not known
	now   func() time.Time

	mu   sync.Mutex
	last map[string]*store.Record
}

func newWaitWatch(r *store.Results, q *store.Queue) *waitWatch {
	return &waitWatch{r: r, queue: q, now: time.Now, last: map[string]*store.Record{}}
}

// Get reads one job's item, as worker.Follow does, and remembers it.
func (w *waitWatch) Get(ctx context.Context, id string) (*store.Record, error) {
	rec, err := w.r.Get(ctx, id)
	if err == nil {
		w.mu.Lock()
		w.last[id] = rec
		w.mu.Unlock()
	}
	return rec, err
}

// reason says why the wait goes on, e.g. "waiting on 9 of 12: 2
// IN_PROGRESS (claimed until 18:22:31), 7 not started; queue: 5 waiting,
// 4 in flight (hidden until 18:28:10 at the latest)". It reads the queue's
// attributes when the queue is known.
func (w *waitWatch) reason(ctx context.Context, ids []string) string {
	w.mu.Lock()
	var inProgress, notStarted int
	var leaseEnd time.Time
	for _, id := range ids {
		rec := w.last[id]
		switch {
		case rec == nil:
			notStarted++
		case rec.Status == store.StatusInProgress:
			inProgress++
			if t := time.UnixMilli(rec.LeaseExpiresAt); rec.LeaseExpiresAt > 0 && t.After(leaseEnd) {
				leaseEnd = t
			}
		}
	}
	w.mu.Unlock()
	pending := inProgress + notStarted
	if pending == 0 {
		return ""
	}
	var parts []string
	if inProgress > 0 {
		p := fmt.Sprintf("%d IN_PROGRESS", inProgress)
		if !leaseEnd.IsZero() {
			p += " (claimed until " + clock(leaseEnd) + ")"
		}
		parts = append(parts, p)
	}
	if notStarted > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", notStarted))
	}
	line := fmt.Sprintf("waiting on %d of %d: %s", pending, len(ids), strings.Join(parts, ", "))
	if q := w.queueReason(ctx); q != "" {
		line += "; queue: " + q
	}
	return line
}

// queueReason describes the jobs queue's backlog, "" when unknown.
func (w *waitWatch) queueReason(ctx context.Context) string {
	if w.queue == nil {
		return ""
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := w.queue.Backlog(qctx)
	if err != nil {
		return ""
	}
	return b.Describe(w.now())
}

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// reasonEvery is how often a wait says why it goes on; a wait shorter than
// that says nothing.
const reasonEvery = 5 * time.Second

// follow waits up to wait for the jobs with a bar of jobs finished, and
// every reasonEvery (when it changed) a line saying what it waits for. An
// unfinished wait's error says it too.
func (w *waitWatch) follow(ctx context.Context, ids []string, wait, every time.Duration, out io.Writer) ([]*store.Record, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	bar := newBar(out, int64(len(ids)), "jobs finished", progressbar.OptionShowCount())
	terminal := isTerminal(out)
	next, said := w.now().Add(reasonEvery), ""
	recs, err := client.Follow(wctx, w, ids, every, func(final, total int) {
		_ = bar.Set(final)
		if final == total || w.now().Before(next) {
			return
		}
		next = w.now().Add(reasonEvery)
		if r := w.reason(wctx, ids); r != "" && r != said {
			said = r
			if terminal {
				_ = bar.Clear()
			}
			fmt.Fprintln(out, r)
		}
	})
	_ = bar.Finish()
	if err != nil {
		if r := w.reason(ctx, ids); r != "" {
			err = fmt.Errorf("%w (%s)", err, r)
		}
	}
	return recs, err
}
