package worker

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

// invMetrics gathers one invocation's (or poll batch's) figures for its
// EMF documents (docs/observability.md).
type invMetrics struct {
	inv    *metrics.Invocation
	now    func() time.Time // the worker's clock
	start  time.Time
	scope  *store.RequestCounter // the AWS requests made under the invocation's context
	mu     sync.Mutex
	phases map[string]*span
}

// span is the wall time one phase covered: phases of one invocation
// overlap (fetches run while inference does), so each is the time from its
// first start to its last end.
type span struct{ first, last time.Time }

// startMetrics begins an invocation's metrics and returns the context its
// AWS calls must be made under to be counted.
func (w *Worker) startMetrics(ctx context.Context) (context.Context, *invMetrics) {
	m := &invMetrics{inv: metrics.NewInvocation(w.Config.Metrics), now: w.now, start: w.now(), phases: map[string]*span{}}
	ctx, m.scope = store.WithRequestScope(ctx)
	if cs := w.coldStart.Swap(nil); cs != nil {
		m.inv.ColdStart(cs.ORTInit, cs.ModelFetch, cs.SessionCreate)
	}
	return ctx, m
}

// phase records that work of a phase ran from t0 to now.
func (m *invMetrics) phase(name string, t0 time.Time) {
	if m == nil {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.phases[name]
	if s == nil {
		m.phases[name] = &span{first: t0, last: now}
		return
	}
	s.first, s.last = minTime(s.first, t0), maxTime(s.last, now)
}

// runs records the tensor runs behind preds: rows of one model, run size
// and padding share one run, so the rows divided by the size are the runs.
func (m *invMetrics) runs(items []engine.Item, preds []engine.Prediction) {
	if m == nil {
		return
	}
	type key struct {
		model   string
		size    int
		padding float64
	}
	rows := map[key]int{}
	capacity := map[string]int{}
	for i, p := range preds {
		if p.BatchSize > 0 && items[i].Model != nil {
			k := key{items[i].Model.Name(), p.BatchSize, p.Padding}
			rows[k]++
			capacity[k.model] = max(items[i].Model.MaxBatch(), 1)
		}
	}
	for k, n := range rows {
		for range max(n/k.size, 1) {
			m.inv.Batch(k.model, k.size, capacity[k.model], k.padding)
		}
	}
}

// finishMetrics records the invocation's outcomes and writes its EMF
// documents.
func (w *Worker) finishMetrics(m *invMetrics, inv *jobs.Invocation, tasks []*task) {
	for i := range inv.Messages {
		if msg := &inv.Messages[i]; !msg.SentAt.IsZero() {
			m.inv.QueueAge(float64(m.start.Sub(msg.SentAt).Milliseconds()))
		}
		if inv.Messages[i].Ignored {
			m.inv.Job("", metrics.Skipped)
		}
	}
	for _, t := range tasks {
		name := t.job.Model
		switch t.state {
		case succeeded:
			m.inv.Job(name, metrics.Succeeded)
			if t.reused != nil {
				m.inv.Reused(name)
			}
			if t.file != nil {
				m.inv.Records(name, recordsOf(t.output))
			}
		case failed:
			m.inv.Job(name, metrics.Failed)
			m.inv.Error(string(jobs.CodeOf(t.err)))
		case acked:
			m.inv.Job(name, metrics.Skipped)
		default:
			m.inv.Job(name, metrics.Retried)
			m.inv.Retry(string(jobs.CodeOf(t.err)))
		}
	}
	m.mu.Lock()
	for name, s := range m.phases {
		m.inv.Phase(name, s.last.Sub(s.first))
	}
	m.mu.Unlock()
	m.inv.Requests(metrics.Requests(m.scope.Snapshot().Billed))
	out := w.MetricsOut
	if out == nil {
		out = os.Stdout
	}
	if err := m.inv.Flush(out, m.now().Sub(m.start)); err != nil {
		w.logger().Warn("could not write the invocation's metrics", "err", err)
	}
}

func recordsOf(out map[string]any) int {
	if n, ok := out["records"].(int64); ok {
		return int(n)
	}
	return 0
}

// coldStartOnce holds the init breakdown until the first invocation
// reports it.
type coldStartOnce = atomic.Pointer[ColdStart]

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
