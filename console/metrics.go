package console

import (
	"context"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
)

// metricsView is the worker's own account of itself, from its EMF lines.
type metricsView struct {
	Documents, Invocations int
	Jobs, Inferences       float64
	JobsPerMinute          float64
	Span                   string
	Latencies              []latency
	Failures               []codeCount
	Throughput             chart // jobs a minute
}

type latency struct {
	Name          string
	P50, P99, Max float64
}

// metrics reads the worker's EMF documents; the note says why there is
// nothing to show.
func (s *Server) metrics(ctx context.Context) (*metricsView, string) {
	if s.Metrics == nil {
		return nil, "no log given (--metrics-log FILE: the function's output, e.g. `local run`'s; or --log-group)"
	}
	docs, err := s.Metrics(ctx)
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", s.MetricsFrom, err)
	}
	if len(docs) == 0 {
		return nil, s.MetricsFrom + " holds no EMF documents yet"
	}
	sum := metrics.Summarize(docs, s.Namespace)
	v := &metricsView{Documents: sum.Documents, Invocations: sum.Invocations, Jobs: sum.Jobs(), Inferences: sum.Inferences()}
	for _, m := range []struct{ label, name string }{
		{"queue age", "QueueAgeMs"}, {"invocation", "InvocationMs"}, {"fetch", "FetchMs"},
		{"infer", "InferMs"}, {"store", "StoreMs"}, {"init (cold)", "InitMs"},
	} {
		if len(sum.Samples[m.name]) > 0 {
			v.Latencies = append(v.Latencies, latency{m.label, sum.Percentile(m.name, 50), sum.Percentile(m.name, 99), sum.Percentile(m.name, 100)})
		}
	}
	byCode := map[string]int{}
	for c, n := range sum.Errors {
		byCode[c] = int(n)
	}
	v.Failures = sortedCounts(byCode)
	first, last := docs[0].Timestamp, docs[len(docs)-1].Timestamp
	if span := last.Sub(first); span > 0 {
		v.Span = span.Round(time.Second).String()
		v.JobsPerMinute = v.Jobs / span.Minutes()
	}
	v.Throughput = throughputChart(docs, first, last)
	return v, ""
}

// throughputChart is the jobs finished a minute over the log's span.
func throughputChart(docs []metrics.Doc, from, to time.Time) chart {
	n := max(1, min(60, int(to.Sub(from).Minutes())+1))
	c := chart{Width: 720, Height: 100, From: from.Local().Format("15:04:05"), To: to.Local().Format("15:04:05")}
	counts := make([]float64, n)
	step := max(to.Sub(from)/time.Duration(n), time.Millisecond)
	for _, d := range docs {
		i := min(int(d.Timestamp.Sub(from)/step), n-1)
		counts[i] += d.Sum("JobsSucceeded") + d.Sum("JobsFailed")
	}
	var top float64
	for _, x := range counts {
		top = max(top, x)
	}
	c.Max = int(top)
	w := c.Width / float64(n)
	for i, x := range counts {
		if top == 0 {
			break
		}
		h := c.Height * x / top
		c.Bars = append(c.Bars, bar{X: float64(i)*w + 1, W: max(w-2, 1), Label: fmt.Sprintf("%.0f jobs", x),
			Segs: []seg{{Y: c.Height - h, H: h, Status: "SUCCEEDED", N: int(x)}}})
	}
	return c
}
