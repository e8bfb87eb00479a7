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

// Item is one input for one model.
type Item struct {
	Model *model.Model
	Data  []byte
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
	rows := make([]model.Tensor, len(items))
	e.parallel(len(items), func(i int) {
		row, err := items[i].Model.Preprocess(items[i].Data)
		if err != nil {
			preds[i].Err = inputError(err)
			return
		}
		rows[i] = row
	})

	// Group the decodable rows by model; each group packs independently.
	groups := map[*model.Model][]int{}
	var order []*model.Model
	for i := range items {
		if preds[i].Err != nil {
			continue
		}
		m := items[i].Model
		if _, ok := groups[m]; !ok {
			order = append(order, m)
		}
		groups[m] = append(groups[m], i)
	}
	results := make([]batching.Result, len(items))
	for _, m := range order {
		idx := groups[m]
		packRows := make([]batching.Tensor, len(idx))
		for j, i := range idx {
			packRows[j] = batching.Tensor(rows[i])
		}
		res := batching.Run(ctx, packRows, e.limits(m), func(ctx context.Context, b batching.Tensor) ([]batching.Tensor, error) {
			outs, err := m.Run(ctx, model.Tensor(b))
			return toBatching(outs), err
		})
		for j, i := range idx {
			results[i] = res[j]
		}
	}

	e.parallel(len(items), func(i int) {
		if preds[i].Err != nil {
			return
		}
		r := results[i]
		preds[i].BatchSize, preds[i].Padding = r.BatchSize, r.Padding
		if r.Err != nil {
			preds[i].Err = runError(ctx, r.Err)
			return
		}
		out, err := items[i].Model.Postprocess(toModel(r.Outputs))
		if err != nil {
			preds[i].Err = jobs.Wrap(jobs.CodeInferenceFailed, err, "postprocess the model's output")
			return
		}
		preds[i].Output = out
	})
	return preds
}

// PackRows is how many rows of m fill a tensor run.
func (e *Engine) PackRows(m *model.Model) int { return e.limits(m).MaxBatch }

func (e *Engine) limits(m *model.Model) batching.Limits {
	lim := batching.Limits{
		MaxBatch:    m.MaxBatch(),
		MaxBytes:    m.MaxBatchBytes(),
		PadValue:    m.PadValue(),
		PadMultiple: m.PadMultiple(),
	}
	if e.maxBatch > 0 {
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

func toBatching(ts []model.Tensor) []batching.Tensor {
	out := make([]batching.Tensor, len(ts))
	for i, t := range ts {
		out[i] = batching.Tensor(t)
	}
	return out
}

func toModel(ts []batching.Tensor) []model.Tensor {
	out := make([]model.Tensor, len(ts))
	for i, t := range ts {
		out[i] = model.Tensor(t)
	}
	return out
}
