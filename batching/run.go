package batching

import (
	"context"
	"fmt"
)

// RunFunc runs one batch and returns one tensor per model output, each
// with leading dim N equal to the batch's.
type RunFunc func(ctx context.Context, batch Tensor) ([]Tensor, error)

// Result is one row's share of a Run.
type Result struct {
	Outputs   []Tensor // this row's slice of each output, leading dim removed
	Err       error    // the run error if this row could not be run (isolated by bisection), or ctx's error
	BatchSize int      // size of the run that produced Outputs or, with Err, of the last run tried (0 if none)
	// Padding is the fraction of that run's input elements that were
	// padding (0 for fixed shapes): what the run spent on nothing.
	Padding float64
}

// Run plans rows into packs, assembles and runs each pack, and splits the
// outputs back: results[i] belongs to rows[i]. When a run fails, Run
// bisects the pack (halves, recursively, each half reshaped to its own
// rows) so that only the rows that make a run fail get its error and their
// neighbours still get results. Once ctx is done Run stops: every row not
// yet run gets ctx.Err(). A row whose data does not match its shape gets
// an error without being run. Packs run one after another: the RunFunc is
// expected to use the machine's cores itself.
func Run(ctx context.Context, rows []Tensor, lim Limits, run RunFunc) []Result {
	results := make([]Result, len(rows))
	for i, r := range rows {
		if err := r.check(); err != nil {
			results[i].Err = fmt.Errorf("batch row %d: %w", i, err)
		}
	}
	lim = lim.normalized()
	r := runner{rows: rows, lim: lim, run: run, results: results}
	for _, p := range plan(rows, lim) {
		r.runPack(ctx, p.Rows, p.Shape, p.variable)
	}
	return results
}

// runner holds what every (sub)pack run of one Run shares.
type runner struct {
	rows    []Tensor
	lim     Limits
	run     RunFunc
	results []Result
}

func (r *runner) runPack(ctx context.Context, idx []int, shape []int64, variable []bool) {
	if err := ctx.Err(); err != nil {
		r.fail(idx, err, 0)
		return
	}
	perRow, err := r.try(ctx, idx, shape)
	if err == nil {
		pad := r.padding(idx, shape)
		for k, i := range idx {
			r.results[i] = Result{Outputs: perRow[k], BatchSize: len(idx), Padding: pad}
		}
		return
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The run most likely failed because time ran out: bisecting
		// would only blame innocent rows and burn what is left.
		r.fail(idx, ctxErr, len(idx))
		return
	}
	if len(idx) == 1 {
		r.fail(idx, err, 1)
		return
	}
	// Rows are sorted by size, so the first half is the narrower one and
	// gets a smaller padded shape of its own.
	mid := len(idx) / 2
	for _, half := range [][]int{idx[:mid], idx[mid:]} {
		r.runPack(ctx, half, shapeOf(r.rows, half, variable, r.lim.PadMultiple), variable)
	}
}

// try runs one pack and splits its outputs; an output that does not split
// counts as a failed run.
func (r *runner) try(ctx context.Context, idx []int, shape []int64) ([][]Tensor, error) {
	batch := Assemble(r.rows, Pack{Rows: idx, Shape: shape}, r.lim.PadValue)
	outs, err := r.run(ctx, batch)
	if err != nil {
		return nil, err
	}
	return Split(outs, len(idx))
}

// padding is the share of a pack's elements that no row filled.
func (r *runner) padding(idx []int, shape []int64) float64 {
	total := elements(shape)
	if total <= 0 {
		return 0
	}
	var real int64
	for _, i := range idx {
		real += int64(len(r.rows[i].Data))
	}
	return max(0, 1-float64(real)/float64(total))
}

func (r *runner) fail(idx []int, err error, batchSize int) {
	for _, i := range idx {
		r.results[i] = Result{Err: err, BatchSize: batchSize}
	}
}
