package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
)

// Engine runs inputs through the inference core: decode and preprocess each
// input into a row, pack rows of one model into as few tensor runs as its
// limits allow, and postprocess each row's slice of the outputs. It is what
// the Lambda handler, the poll loop, `predict` and `bench` share, so all of
// them batch the same way.
type Engine struct {
	models   map[string]*model.Model
	order    []string
	maxBatch int // overrides every model's max batch when > 0 (predict --batch)
	workers  int // preprocess/postprocess goroutines
}

// New serves the given models; the first is the default.
func New(models []*model.Model) (*Engine, error) {
	if len(models) == 0 {
		return nil, fmt.Errorf("no models: set %s to at least one model folder or s3:// prefix", settings.Models.Name)
	}
	e := &Engine{models: map[string]*model.Model{}, workers: runtime.GOMAXPROCS(0)}
	for _, m := range models {
		if _, dup := e.models[m.Name()]; dup {
			return nil, fmt.Errorf("two models are named %q: manifest names must be unique", m.Name())
		}
		e.models[m.Name()] = m
		e.order = append(e.order, m.Name())
	}
	return e, nil
}

// SetMaxBatch caps rows per tensor run for every model (0 restores each
// manifest's own limit).
func (e *Engine) SetMaxBatch(n int) { e.maxBatch = n }

// Models lists the served models, default first.
func (e *Engine) Models() []*model.Model {
	out := make([]*model.Model, len(e.order))
	for i, n := range e.order {
		out[i] = e.models[n]
	}
	return out
}

// Model resolves a job's model name; "" is the default model.
func (e *Engine) Model(name string) (*model.Model, error) {
	if name == "" {
		return e.models[e.order[0]], nil
	}
	if m, ok := e.models[name]; ok {
		return m, nil
	}
	return nil, jobs.Errorf(jobs.CodeUnknownModel, "model %q is not served here (served: %v)", name, e.order)
}

// Item is one input for one model: its bytes (Data), a text or an Open
// Inference Protocol request's tensors (InputOf makes one from a job).
type Item struct {
	Model *model.Model
	model.Input
}

// Prediction is one item's outcome.
type Prediction struct {
	Output    map[string]any
	Err       error   // a *jobs.Error
	BatchSize int     // rows in the tensor run that produced Output
	Padding   float64 // share of that run's input that was padding

	// A pipeline model's items also get how each stage ran for all of the
	// call's items of that model (one slice, shared), and their own CPU
	// time per step (decode, crop, STAGE.pre, STAGE.post).
	Stages []StageStats
	Phases map[string]time.Duration
}

// Predict runs items and returns one Prediction per item, in order. One
// bad item never fails its neighbours: decoding errors stay with their item,
// and a failing tensor run is bisected down to the rows that make it fail.
// A pipeline model's stages each pack the rows of all its items in the
// call together, so the text lines of many pages share recognition runs
// (stages.go).
func (e *Engine) Predict(ctx context.Context, items []Item) []Prediction {
	crashIfAsked(items) // test builds only (crash_on.go)
	if hasPipeline(items) {
		return e.predictMixed(ctx, items)
	}
	preds := make([]Prediction, len(items))
	rows := make([][]model.Row, len(items))
	e.parallel(len(items), func(i int) {
		rs, err := items[i].Model.PreprocessInput(items[i].Input)
		if err != nil {
			preds[i].Err = inputError(err)
			return
		}
		rows[i] = rs
	})
	results := e.run(ctx, items, rows, preds)
	e.parallel(len(items), func(i int) {
		if preds[i].Err == nil {
			e.finish(ctx, items[i].Model, rows[i], results[i], &preds[i])
		}
	})
	return preds
}

// packGroup is the rows of one model that may share runs: its codec's
// rows, or its tensor requests' rows (which are never padded: a raw
// tensor means exactly what it holds).
type packGroup struct {
	m   *model.Model
	raw bool
}

// run packs the rows of every decodable item by model and runs them;
// results[i] holds item i's rows' results in order.
func (e *Engine) run(ctx context.Context, items []Item, rows [][]model.Row, preds []Prediction) [][]batching.Result {
	groups := map[packGroup][]int{}
	var order []packGroup
	for i := range items {
		if preds[i].Err != nil {
			continue
		}
		g := packGroup{m: items[i].Model, raw: items[i].Tensors != nil}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], i)
	}
	results := make([][]batching.Result, len(items))
	for _, g := range order {
		var packRows []batching.Row
		for _, i := range groups[g] {
			for _, r := range rows[i] {
				packRows = append(packRows, r.Inputs)
			}
		}
		lim := e.limits(g.m)
		if g.raw {
			lim.MaxPadWaste, lim.PadMultiple = -1, 1 // only equal shapes share a run
		}
		m := g.m
		res := batching.RunRows(ctx, packRows, lim, m.RunInputs)
		for _, i := range groups[g] {
			results[i], res = res[:len(rows[i])], res[len(rows[i]):]
		}
	}
	return results
}

// finish makes one item's prediction from its rows' results.
func (e *Engine) finish(ctx context.Context, m *model.Model, rows []model.Row, res []batching.Result, p *Prediction) {
	outs := make([][]model.Tensor, len(res))
	for k, r := range res {
		p.BatchSize = max(p.BatchSize, r.BatchSize)
		p.Padding += r.Padding / float64(len(res))
		if r.Err != nil {
			p.Err = runError(ctx, r.Err)
			return
		}
		outs[k] = r.Outputs
	}
	out, err := m.PostprocessRows(rows, outs)
	if err != nil {
		p.Err = jobs.Wrap(jobs.CodeInferenceFailed, err, "postprocess the model's output")
		return
	}
	p.Output = out
}

// PackRows is how many rows of m fill a tensor run.
func (e *Engine) PackRows(m *model.Model) int { return e.limits(m).MaxBatch }

func (e *Engine) limits(m *model.Model) batching.Limits {
	lim := batching.Limits{
		MaxBatch:    m.MaxBatch(),
		MaxBytes:    m.MaxBatchBytes(),
		MaxTokens:   m.MaxBatchTokens(),
		PadValue:    m.PadValue(),
		PadMultiple: m.PadMultiple(),
	}
	if !m.IsPipeline() {
		lim.PadValues = m.PadValues()
	}
	if e.maxBatch > 0 && !m.FixedBatch() { // a static batch dim is the export's, not ours to change
		lim.MaxBatch = e.maxBatch
	}
	if lim.MaxBatch <= 0 {
		lim.MaxBatch = 1
	}
	return lim
}

// parallel calls fn(0..n-1), on up to e.workers goroutines when the work
// is worth it. Decoding images is CPU work that should use every core the
// process has; parsing a tabular row or postprocessing a tiny output takes
// well under a microsecond, and there handing items to other goroutines
// costs more than the items (each wake-up is microseconds, and on a busy
// machine a woken goroutine can wait a scheduler slice for a CPU). So the
// caller runs the first item itself, and fans out only when that item
// says the rest is at least fanOutWork of work. The caller keeps taking
// items too, so the phase never waits on a helper that has not started.
func (e *Engine) parallel(n int, fn func(i int)) {
	if n == 0 {
		return
	}
	t0 := time.Now()
	fn(0)
	if e.workers <= 1 || n == 1 || time.Since(t0)*time.Duration(n-1) < fanOutWork {
		for i := 1; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	next.Store(1)
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range min(e.workers, n-1) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// fanOutWork is the least remaining work parallel spreads over goroutines:
// well above what starting and joining them costs.
const fanOutWork = 500 * time.Microsecond

// inputError maps the model's input errors onto the taxonomy: their codes
// are the taxonomy's strings, and all of them are permanent.
func inputError(err error) error {
	var ie *model.InputError
	if errors.As(err, &ie) {
		return &jobs.Error{Code: jobs.Code(ie.Code), Message: ie.Message}
	}
	return jobs.Wrap(jobs.CodeInferenceFailed, err, "preprocess the input")
}

// runError tells a row the run could not serve: out of time is transient,
// anything else was isolated to this row by bisection and is permanent.
func runError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return jobs.Wrap(jobs.CodeDeadline, err, "the invocation ran out of time before this row ran")
	}
	return jobs.Wrap(jobs.CodeInferenceFailed, err, "ONNX Runtime rejected this row")
}
