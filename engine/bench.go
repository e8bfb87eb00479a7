package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/model"
)

// BenchOptions tune Bench.
type BenchOptions struct {
	Batch  int           // rows per tensor run (default: the manifest's max batch)
	Items  int           // distinct inputs (default 256)
	Rounds int           // repetitions of each measurement; medians are reported (default 5)
	MinRun time.Duration // each measurement runs at least this long (default 300ms)
	Sweep  []int         // batch sizes to sweep (empty: no sweep)
	// Progress, when set, is called after each measurement with how many
	// are done of how many (a bar on a terminal).
	Progress func(done, total int)
	// Inputs are the encoded inputs to run (PNG lines, JSON rows): see
	// ReadInputs and `go run ./internal/samples/gen`.
	Inputs [][]byte
}

// ReadInputs reads every file of dir, in name order, as one input each;
// names starting with "_" (a sidecar such as the rendered texts) are not
// inputs.
func ReadInputs(dir string) ([][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read bench inputs: %w (generate them with: go run ./internal/samples/gen --model MODEL_DIR --out %s)", err, dir)
	}
	var out [][]byte
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), "_") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read bench inputs: %w", err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read bench inputs: %s holds no files", dir)
	}
	return out, nil
}

// BenchReport is what `batchinfer bench` prints.
type BenchReport struct {
	Model          string       `json:"model"`
	ModelVersion   string       `json:"model_version"`
	Batch          int          `json:"batch"`
	Items          int          `json:"items"`
	Rounds         int          `json:"rounds"`
	RawItemsPerS   float64      `json:"raw_ort_items_per_s"`  // Run on a pre-packed tensor only
	PipeItemsPerS  float64      `json:"pipeline_items_per_s"` // decode+preprocess+pack+run+split+postprocess
	Batch1PerS     float64      `json:"pipeline_batch1_items_per_s"`
	PipeVsRaw      float64      `json:"pipeline_vs_raw"`    // PipeItemsPerS / RawItemsPerS
	PipeVsBatch1   float64      `json:"pipeline_vs_batch1"` // PipeItemsPerS / Batch1PerS
	Sweep          []SweepPoint `json:"sweep,omitempty"`
	Recommended    int          `json:"recommended_batch,omitempty"`
	IntraOpThreads int          `json:"intra_op_threads,omitempty"`
}

// SweepPoint is the pipeline's throughput at one batch size.
type SweepPoint struct {
	Batch        int     `json:"batch"`
	ItemsPerS    float64 `json:"pipeline_items_per_s"`
	RawItemsPerS float64 `json:"raw_ort_items_per_s"`
}

// Bench measures m side by side in one process: raw ORT, the full pipeline
// at the batch size, and the pipeline at batch 1, interleaved round by
// round so drift on the machine affects all three alike.
func Bench(ctx context.Context, m *model.Model, opts BenchOptions) (BenchReport, error) {
	if opts.Batch <= 0 {
		opts.Batch = m.MaxBatch()
	}
	if len(opts.Inputs) == 0 {
		return BenchReport{}, errors.New("bench: no inputs")
	}
	if opts.Items <= 0 || opts.Items > len(opts.Inputs) {
		opts.Items = len(opts.Inputs)
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 5
	}
	if opts.MinRun <= 0 {
		opts.MinRun = 300 * time.Millisecond
	}
	inputs := opts.Inputs[:opts.Items]
	rep := BenchReport{Model: m.Name(), ModelVersion: m.Version(), Batch: opts.Batch, Items: opts.Items, Rounds: opts.Rounds}
	var raw, pipe, one []float64
	step := progressSteps(opts)
	for range opts.Rounds {
		r, err := rawRate(ctx, m, inputs, opts.Batch, opts.MinRun)
		if err != nil {
			return rep, err
		}
		p, err := pipelineRate(ctx, m, inputs, opts.Batch, opts.MinRun)
		if err != nil {
			return rep, err
		}
		o, err := pipelineRate(ctx, m, inputs, 1, opts.MinRun)
		if err != nil {
			return rep, err
		}
		raw, pipe, one = append(raw, r), append(pipe, p), append(one, o)
		step(3)
	}
	rep.RawItemsPerS, rep.PipeItemsPerS, rep.Batch1PerS = median(raw), median(pipe), median(one)
	rep.PipeVsRaw = rep.PipeItemsPerS / rep.RawItemsPerS
	rep.PipeVsBatch1 = rep.PipeItemsPerS / rep.Batch1PerS
	// The sweep visits every batch size once per round, so load that comes
	// and goes on a shared machine touches all sizes alike instead of
	// favouring whichever size ran during a quiet spell.
	ps, rs := make([][]float64, len(opts.Sweep)), make([][]float64, len(opts.Sweep))
	for range opts.Rounds {
		for i, b := range opts.Sweep {
			p, err := pipelineRate(ctx, m, inputs, b, opts.MinRun)
			if err != nil {
				return rep, err
			}
			r, err := rawRate(ctx, m, inputs, b, opts.MinRun)
			if err != nil {
				return rep, err
			}
			ps[i], rs[i] = append(ps[i], p), append(rs[i], r)
			step(2)
		}
	}
	for i, b := range opts.Sweep {
		rep.Sweep = append(rep.Sweep, SweepPoint{Batch: b, ItemsPerS: median(ps[i]), RawItemsPerS: median(rs[i])})
	}
	if len(rep.Sweep) > 0 {
		best := rep.Sweep[0]
		for _, s := range rep.Sweep[1:] {
			// Prefer the smaller batch unless a larger one is clearly (5%)
			// faster: smaller batches finish sooner and waste less padding.
			if s.ItemsPerS > best.ItemsPerS*1.05 {
				best = s
			}
		}
		rep.Recommended = best.Batch
	}
	return rep, nil
}

// rawRate times the model's runs alone on tensors packed (as Predict
// packs them: every input of a row, each with its pad value) before the
// clock starts.
func rawRate(ctx context.Context, m *model.Model, inputs [][]byte, batch int, minRun time.Duration) (float64, error) {
	var rows []batching.Row
	for _, in := range inputs {
		rs, err := m.PreprocessInput(model.Input{Data: in})
		if err != nil {
			return 0, fmt.Errorf("bench input: %w", err)
		}
		for _, r := range rs {
			rows = append(rows, r.Inputs)
		}
	}
	eng, err := New([]*model.Model{m})
	if err != nil {
		return 0, err
	}
	eng.SetMaxBatch(batch)
	lim := eng.limits(m)
	var packs [][]model.Tensor
	var sizes []int
	for _, p := range batching.PlanRows(rows, lim) {
		packs = append(packs, batching.AssembleRows(rows, p, lim))
		sizes = append(sizes, len(p.Rows))
	}
	items, start := 0, time.Now()
	for time.Since(start) < minRun {
		for i, p := range packs {
			if _, err := m.RunInputs(ctx, p); err != nil {
				return 0, fmt.Errorf("bench run: %w", err)
			}
			items += sizes[i]
		}
	}
	return float64(items) / time.Since(start).Seconds(), nil
}

// pipelineRate times Engine.Predict from encoded bytes to results.
func pipelineRate(ctx context.Context, m *model.Model, inputs [][]byte, batch int, minRun time.Duration) (float64, error) {
	eng, err := New([]*model.Model{m})
	if err != nil {
		return 0, err
	}
	eng.SetMaxBatch(batch)
	items := make([]Item, len(inputs))
	for i, in := range inputs {
		items[i] = Item{Model: m, Input: model.Input{Data: in}}
	}
	n, start := 0, time.Now()
	for time.Since(start) < minRun {
		for _, p := range eng.Predict(ctx, items) {
			if p.Err != nil {
				return 0, fmt.Errorf("bench predict: %w", p.Err)
			}
		}
		n += len(items)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// progressSteps counts measurements for opts.Progress: three per round,
// two per swept size per round.
func progressSteps(opts BenchOptions) func(n int) {
	total, done := opts.Rounds*(3+2*len(opts.Sweep)), 0
	return func(n int) {
		done += n
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
}
