package batching

import (
	"context"
	"fmt"

	"github.com/batchinfer/batchinfer/tensor"
)

// RunFunc runs one single-input batch and returns one tensor per model
// output, each with leading dim N equal to the batch's.
type RunFunc func(ctx context.Context, batch Tensor) ([]Tensor, error)

// RowsRunFunc runs one batch given as one tensor per model input (all with
// leading dim N) and returns one tensor per model output, each with
// leading dim N.
type RowsRunFunc func(ctx context.Context, inputs []Tensor) ([]Tensor, error)

// Result is one row's share of a Run.
type Result struct {
	Outputs   []Tensor // this row's slice of each output, leading dim removed
	Err       error    // the run error if this row could not be run (isolated by bisection), or ctx's error
	BatchSize int      // size of the run that produced Outputs or, with Err, of the last run tried (0 if none)
	// Padding is the fraction of that run's input elements that were
	// padding (0 for fixed shapes): what the run spent on nothing.
	Padding float64
}

// Run runs single-input rows: RunRows with one tensor per row.
func Run(ctx context.Context, rows []Tensor, lim Limits, run RunFunc) []Result {
	return RunRows(ctx, asRows(rows), lim, func(ctx context.Context, inputs []Tensor) ([]Tensor, error) {
		return run(ctx, inputs[0])
	})
}

// RunRows plans rows into packs, assembles and runs each pack, and splits
// the outputs back: results[i] belongs to rows[i]. When a run fails,
// RunRows bisects the pack (halves, recursively, each half reshaped to its
// own rows) so that only the rows that make a run fail get its error and
// their neighbours still get results. Once ctx is done it stops: every row
// not yet run gets ctx.Err(). A row whose data does not match its shape
// gets an error without being run. Packs run one after another: the
// RowsRunFunc is expected to use the machine's cores itself.
func RunRows(ctx context.Context, rows []Row, lim Limits, run RowsRunFunc) []Result {
	results := make([]Result, len(rows))
	valid := make([]bool, len(rows))
	for i, r := range rows {
		if err := checkRow(r); err != nil {
			results[i].Err = fmt.Errorf("batch row %d: %w", i, err)
			continue
		}
		valid[i] = true
	}
	lim = lim.normalized()
	packs, sizes := plan(rows, lim, valid)
	r := runner{rows: rows, lim: lim, run: run, results: results, sizes: sizes}
	for _, p := range packs {
		r.runPack(ctx, p.Rows, p.Shapes, p.variable)
	}
	return results
}

// runner holds what every (sub)pack run of one Run shares.
type runner struct {
	rows    []Row
	lim     Limits
	run     RowsRunFunc
	results []Result
	sizes   []int64 // each row's elements, all inputs together
}

func (r *runner) runPack(ctx context.Context, idx []int, shapes [][]int64, variable [][]bool) {
	if err := ctx.Err(); err != nil {
		r.fail(idx, err, 0)
		return
	}
	perRow, err := r.try(ctx, idx, shapes)
	if err == nil {
		pad := r.padding(idx, shapes)
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
		r.runPack(ctx, half, shapesOf(r.rows, half, variable, r.lim.PadMultiple), variable)
	}
}

// try runs one pack and splits its outputs; an output that does not split
// counts as a failed run.
func (r *runner) try(ctx context.Context, idx []int, shapes [][]int64) ([][]Tensor, error) {
	inputs := assembleRows(r.rows, Pack{Rows: idx, Shapes: shapes}, r.lim)
	outs, err := r.run(ctx, inputs)
	if err != nil {
		return nil, err
	}
	return Split(outs, len(idx))
}

// padding is the share of a pack's input elements that no row filled.
func (r *runner) padding(idx []int, shapes [][]int64) float64 {
	var total, real int64
	for _, s := range shapes {
		total += tensor.Elements(s)
	}
	if total <= 0 {
		return 0
	}
	for _, i := range idx {
		real += r.sizes[i]
	}
	return max(0, 1-float64(real)/float64(total))
}

func (r *runner) fail(idx []int, err error, batchSize int) {
	for _, i := range idx {
		r.results[i] = Result{Err: err, BatchSize: batchSize}
	}
}
