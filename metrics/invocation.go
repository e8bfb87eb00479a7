package metrics

import (
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Outcome is how a job ended in one invocation.
type Outcome int

const (
	Succeeded Outcome = iota // reached SUCCEEDED
	Failed                   // reached FAILED (a DLQ entry)
	Retried                  // left for a later delivery
	Skipped                  // a duplicate of a finished job, or an ignored event
)

// Phases the worker times; Phase accepts others, named the same way.
const (
	PhaseFetch = "fetch"
	PhaseInfer = "infer"
	PhaseStore = "store"
)

// Dimension keys.
const (
	DimFunction  = "function"
	DimModel     = "model"
	DimErrorCode = "error_code"
	DimMode      = "mode"
)

// Invocation gathers one Lambda invocation's (or one poll batch's) figures
// and writes them as EMF documents. Its methods are safe for concurrent use
// and do nothing on a nil or disabled Invocation, so call sites need no
// guard.
type Invocation struct {
	opts Options

	mu      sync.Mutex
	fn      *set            // dimension set {function}
	models  map[string]*set // {function, model}
	errors  map[string]*set // {function, error_code}
	req     Requests
	cold    bool
	init    time.Duration
	flushed bool
}

// set is one dimension set's metrics: counters summed into one value,
// samples kept as a values array.
type set struct {
	sums    map[string]float64
	samples map[string][]float64
}

func newSet() *set { return &set{sums: map[string]float64{}, samples: map[string][]float64{}} }

func (s *set) add(name string, v float64) {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		s.sums[name] += v
	}
}

func (s *set) sample(name string, v float64) {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		s.samples[name] = append(s.samples[name], v)
	}
}

// NewInvocation starts gathering; call it when the invocation (or batch)
// starts and Flush when it ends.
func NewInvocation(o Options) *Invocation {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Mode == "" {
		o.Mode = ModeLambda
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Prices == (Prices{}) {
		o.Prices = DefaultPrices
	}
	if o.Arch == "" {
		o.Arch = ArchX86_64
	}
	if o.Share < 1 {
		o.Share = 1
	}
	fn := newSet()
	// The job counters are always written, zeros included: a failure-rate
	// alarm divides JobsFailed by JobsSucceeded + JobsFailed, and a series
	// that only appears when non-zero would make that expression undefined.
	for _, name := range outcomeMetric {
		fn.sums[name] = 0
	}
	return &Invocation{opts: o, fn: fn, models: map[string]*set{}, errors: map[string]*set{}}
}

// do runs fn under the lock unless the Invocation records nothing.
func (inv *Invocation) do(fn func()) {
	if inv == nil || inv.opts.Disabled {
		return
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	fn()
}

func (inv *Invocation) model(name string) *set {
	s, ok := inv.models[name]
	if !ok {
		s = newSet()
		inv.models[name] = s
	}
	return s
}

var outcomeMetric = [...]string{Succeeded: "JobsSucceeded", Failed: "JobsFailed", Retried: "JobsRetried", Skipped: "JobsSkipped"}

// Job counts one job's outcome, per function and, when model is known, per
// model.
func (inv *Invocation) Job(model string, o Outcome) {
	if o < 0 || int(o) >= len(outcomeMetric) {
		return
	}
	inv.do(func() {
		inv.fn.add(outcomeMetric[o], 1)
		if model != "" {
			inv.model(model).add(outcomeMetric[o], 1)
		}
	})
}

// Error counts one job that ended FAILED, by its error code (jobs.Code):
// one document per code, so Errors by code equal the DLQ entries by code.
func (inv *Invocation) Error(code string) { inv.byCode(code, "Errors") }

// Retry counts one transient failure (throttled, service_error, timeout...)
// that left a job for a later delivery, by its code, as Retries on the
// same documents: why jobs are retried, next to why they fail.
func (inv *Invocation) Retry(code string) { inv.byCode(code, "Retries") }

func (inv *Invocation) byCode(code, metric string) {
	if code == "" {
		code = "unknown"
	}
	inv.do(func() {
		s, ok := inv.errors[code]
		if !ok {
			s = newSet()
			inv.errors[code] = s
		}
		s.add(metric, 1)
	})
}

// Reused counts one job answered from a stored result of the same input
// and model version (ReusedResults), with no inference.
func (inv *Invocation) Reused(model string) {
	inv.do(func() {
		inv.fn.add("ReusedResults", 1)
		if model != "" {
			inv.model(model).add("ReusedResults", 1)
		}
	})
}

// Records counts the records of record files (JSONL, CSV) processed.
func (inv *Invocation) Records(model string, n int) {
	inv.do(func() {
		inv.fn.add("Records", float64(n))
		if model != "" {
			inv.model(model).add("Records", float64(n))
		}
	})
}

// Batch records one tensor run: rows in it, the most it could hold (the
// model's max batch) and the fraction of its elements that are padding.
func (inv *Invocation) Batch(model string, rows, capacity int, paddedFraction float64) {
	inv.do(func() {
		sets := []*set{inv.fn}
		if model != "" {
			sets = append(sets, inv.model(model))
		}
		for _, s := range sets {
			s.sample("BatchSize", float64(rows))
			if capacity > 0 {
				s.sample("BatchFill", 100*float64(rows)/float64(capacity))
			}
			s.sample("PaddingWaste", 100*paddedFraction)
		}
	})
}

// QueueAge records one message's wait: SQS SentTimestamp to the start of
// work, in milliseconds.
func (inv *Invocation) QueueAge(ms float64) {
	inv.do(func() { inv.fn.sample("QueueAgeMs", ms) })
}

// Phase adds d to a phase's time (FetchMs, InferMs, StoreMs for the
// Phase* names); a phase timed in several pieces adds up.
func (inv *Invocation) Phase(name string, d time.Duration) {
	metric := phaseMetric(name)
	if metric == "" {
		return
	}
	inv.do(func() { inv.fn.add(metric, ms(d)) })
}

func phaseMetric(name string) string {
	if name == "" {
		return ""
	}
	r := []rune(strings.ToLower(name))
	r[0] = unicode.ToUpper(r[0])
	return string(r) + "Ms"
}

// ColdStart marks this invocation as the environment's first and records
// the init breakdown; warm invocations report ColdStart 0, so the metric's
// average is the cold-start rate.
func (inv *Invocation) ColdStart(ortInit, modelFetch, sessionCreate time.Duration) {
	inv.do(func() {
		inv.cold = true
		inv.init = ortInit + modelFetch + sessionCreate
		inv.fn.add("OrtInitMs", ms(ortInit))
		inv.fn.add("ModelFetchMs", ms(modelFetch))
		inv.fn.add("SessionCreateMs", ms(sessionCreate))
		inv.fn.add("InitMs", ms(inv.init))
	})
}

// Requests adds AWS requests the invocation made (a store.RequestCounter
// difference, converted).
func (inv *Invocation) Requests(r Requests) {
	inv.do(func() { inv.req.add(r) })
}

// Flush works out the invocation's cost and writes its documents to w, one
// JSON line each: {function}, then {function, model} per model, then
// {function, error_code} per code (each also with mode in poll mode).
// invocation is the handler's (or batch's) wall time. On Lambda the
// environment's first invocation is also billed its init (since August
// 2025 for every runtime), so a cold start adds the init it recorded.
func (inv *Invocation) Flush(w io.Writer, invocation time.Duration) error {
	if inv == nil || inv.opts.Disabled {
		return nil
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.flushed {
		return nil // the figures are written once: a second Flush would bill twice
	}
	inv.flushed = true
	inv.cost(invocation)
	ts := inv.opts.Now()
	var buf []byte
	buf = inv.render(buf, ts, nil, inv.fn)
	for _, name := range slices.Sorted(maps.Keys(inv.models)) {
		buf = inv.render(buf, ts, []string{DimModel, name}, inv.models[name])
	}
	for _, code := range slices.Sorted(maps.Keys(inv.errors)) {
		buf = inv.render(buf, ts, []string{DimErrorCode, code}, inv.errors[code])
	}
	_, err := w.Write(buf)
	return err
}

// cost puts the timing and cost figures into the function set.
func (inv *Invocation) cost(invocation time.Duration) {
	o, fn := inv.opts, inv.fn
	fn.add("InvocationMs", ms(invocation))
	if inv.cold {
		fn.add("ColdStart", 1)
	} else {
		fn.add("ColdStart", 0)
	}
	var gbs, compute float64
	if o.Mode == ModePoll {
		share := invocation / time.Duration(o.Share)
		gbs = float64(o.MemoryMB) / 1024 * share.Seconds()
		compute = o.Prices.ContainerCost(o.Arch, o.VCPU, o.MemoryMB, share)
	} else {
		billed := invocation
		if inv.cold {
			billed += inv.init
		}
		gbs = GBSeconds(o.MemoryMB, billed)
		compute = o.Prices.LambdaCost(o.Arch, gbs)
	}
	reqCost := o.Prices.RequestCost(inv.req)
	total := compute + reqCost
	fn.add("GBSeconds", gbs)
	fn.add("RequestCostUSD", reqCost)
	fn.add("EstimatedCostUSD", total)
	var rows float64
	for _, v := range fn.samples["BatchSize"] {
		rows += v
	}
	if rows > 0 {
		fn.add("CostPer1kInferencesUSD", total/rows*1000)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
