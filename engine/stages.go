package engine

import (
	"context"
	"time"

	"github.com/batchinfer/batchinfer/batching"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
)

// StageStats is how one pipeline stage ran over all the items of its model
// in one Predict call.
type StageStats struct {
	Name     string
	Rows     int           // rows the stage ran (one per page for detection, one per line after)
	Runs     int           // tensor runs they took
	MaxBatch int           // the stage's limit, so Rows/(Runs·MaxBatch) is the fill
	Infer    time.Duration // wall time in the stage's runs
}

func hasPipeline(items []Item) bool {
	for _, it := range items {
		if it.Model.IsPipeline() {
			return true
		}
	}
	return false
}

// predictMixed predicts the items of plain models as Predict does and
// those of each pipeline model through its stages.
func (e *Engine) predictMixed(ctx context.Context, items []Item) []Prediction {
	preds := make([]Prediction, len(items))
	var plain []Item
	var plainIdx []int
	pipes := map[*model.Model][]int{}
	var order []*model.Model
	for i, it := range items {
		if !it.Model.IsPipeline() {
			plain, plainIdx = append(plain, it), append(plainIdx, i)
			continue
		}
		if _, ok := pipes[it.Model]; !ok {
			order = append(order, it.Model)
		}
		pipes[it.Model] = append(pipes[it.Model], i)
	}
	if len(plain) > 0 {
		for j, p := range e.Predict(ctx, plain) {
			preds[plainIdx[j]] = p
		}
	}
	for _, m := range order {
		e.predictPipeline(ctx, m, items, pipes[m], preds)
	}
	return preds
}

// pipelineFlow is one item of a pipeline model on its way through the stages.
type pipelineFlow struct {
	item  int // index into items and preds
	flow  *model.Flow
	batch int // the largest run its rows of the latest stage shared
}

// predictPipeline runs the items idx of pipeline model m. Detection goes
// through the pages a chunk at a time (a decoded page and its detection
// row are megabytes; a flow keeps only its crops once detected); every
// later stage packs the rows of all the pages together.
func (e *Engine) predictPipeline(ctx context.Context, m *model.Model, items []Item, idx []int, preds []Prediction) {
	stages := m.Stages()
	stats := make([]StageStats, len(stages))
	for s, st := range stages {
		stats[s] = StageStats{Name: st.Name(), MaxBatch: e.limits(st).MaxBatch}
	}
	chunk := max(4*e.workers, stats[0].MaxBatch)
	var flows []*pipelineFlow
	for start := 0; start < len(idx); start += chunk {
		part := make([]*pipelineFlow, min(chunk, len(idx)-start))
		e.parallel(len(part), func(j int) {
			i := idx[start+j]
			if items[i].Text != nil || items[i].Tensors != nil {
				// PreprocessInput says why a pipeline takes neither.
				_, err := m.PreprocessInput(items[i].Input)
				preds[i].Err = inputError(err)
				return
			}
			f, err := m.Start(items[i].Data)
			if err != nil {
				preds[i].Err = inputError(err)
				return
			}
			part[j] = &pipelineFlow{item: i, flow: f}
		})
		flows = append(flows, e.stageRounds(ctx, 0, stages[0], part, preds, &stats[0])...)
	}
	for s := 1; s < len(stages); s++ {
		flows = e.stageRounds(ctx, s, stages[s], flows, preds, &stats[s])
	}
	e.parallel(len(flows), func(j int) {
		f := flows[j]
		p := &preds[f.item]
		if err := f.flow.Err(); err != nil { // a document none of whose pages could be read
			p.Err = inputError(err)
			return
		}
		p.Output = f.flow.Result()
		p.BatchSize = f.batch
		p.Phases = f.flow.Phases()
	})
	for _, i := range idx {
		preds[i].Stages = stats
	}
}

// stageRounds runs stage s over flows until each has had all its pages
// (detection) or lines (the later stages) through it, a round at a time:
// a window of pages rendered and cut to their crops, or of lines'
// rows made, run and let go, before the next. The flows of a round share
// one window, so that many long documents in a call take no more memory
// than one, and their rows still share runs.
func (e *Engine) stageRounds(ctx context.Context, s int, st *model.Model, flows []*pipelineFlow, preds []Prediction, stats *StageStats) []*pipelineFlow {
	var done []*pipelineFlow
	for len(flows) > 0 {
		for _, f := range flows {
			if f != nil {
				f.flow.Share(len(flows))
			}
		}
		var more []*pipelineFlow
		for _, f := range e.runStage(ctx, s, st, flows, preds, stats) {
			if f.flow.Pending(s) {
				more = append(more, f)
			} else {
				done = append(done, f)
			}
		}
		flows = more
	}
	return done
}

// runStage runs stage s for flows: each flow's rows, all flows' rows packed
// into shared runs, each flow given its rows' outputs back. It returns the
// flows still going; a flow one of whose rows failed gets that row's error.
func (e *Engine) runStage(ctx context.Context, s int, st *model.Model, flows []*pipelineFlow, preds []Prediction, stats *StageStats) []*pipelineFlow {
	rows := make([][]model.Tensor, len(flows))
	e.parallel(len(flows), func(j int) {
		if flows[j] != nil {
			rows[j] = flows[j].flow.Rows(s)
		}
	})
	var all []batching.Tensor
	offsets := make([]int, len(flows)) // where flow j's rows start in all
	for j, r := range rows {
		offsets[j] = len(all)
		all = append(all, r...)
	}
	t0 := time.Now()
	res := batching.Run(ctx, all, e.limits(st), func(ctx context.Context, b batching.Tensor) ([]batching.Tensor, error) {
		stats.Runs++
		return st.Run(ctx, b)
	})
	stats.Infer += time.Since(t0)
	stats.Rows += len(all)

	failed := make([]bool, len(flows))
	e.parallel(len(flows), func(j int) {
		f := flows[j]
		if f == nil {
			return
		}
		off := offsets[j]
		outs := make([][]model.Tensor, len(rows[j]))
		if len(outs) > 0 {
			f.batch = 0
		}
		for k := range outs {
			r := res[off+k]
			if r.Err != nil {
				preds[f.item].Err = runError(ctx, r.Err)
				failed[j] = true
				return
			}
			outs[k] = r.Outputs
			f.batch = max(f.batch, r.BatchSize)
		}
		if err := f.flow.Take(s, outs); err != nil {
			preds[f.item].Err = jobs.Wrap(jobs.CodeInferenceFailed, err, "postprocess stage %s", st.Name())
			failed[j] = true
		}
	})
	var kept []*pipelineFlow
	for j, f := range flows {
		switch {
		case f == nil:
		case failed[j]:
			f.flow.Close()
		default:
			kept = append(kept, f)
		}
	}
	return kept
}
