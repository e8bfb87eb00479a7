package worker

import (
	"context"

	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/store"
)

// newJoiner reads feature sources with the results table's DynamoDB
// client, the tables overridden by BATCHINFER_FEATURE_TABLES.
func newJoiner(a *store.Adapters, cfg Config) (*feat.Joiner, error) {
	tables, err := feat.ParseTables(cfg.FeatureTables)
	if err != nil {
		return nil, err
	}
	return &feat.Joiner{Reader: &store.Features{Client: a.Results.Client}, Tables: tables}, nil
}

// readFeatures reads the entities of every live task whose model has a
// feature source, in one BatchGetItem per 100 distinct entities, before
// the fetches start; a failed read retries the tasks that needed it
// (transient), and live is what is left to run.
func (w *Worker) readFeatures(ctx context.Context, live []*task) []*task {
	wants := make([]feat.Want, len(live))
	need := false
	for i, t := range live {
		wants[i] = feat.Want{Model: t.model, Entity: t.job.Entity}
		need = need || (t.job.Entity != nil && t.model.FeatureSource() != nil)
	}
	if !need {
		return live
	}
	t0 := w.now()
	found, err := w.Features.Read(ctx, wants)
	live[0].m.phase("features", t0)
	var keep []*task
	for i, t := range live {
		if err != nil && found[i].Needed {
			t.retry(err)
			continue
		}
		t.features = found[i]
		keep = append(keep, t)
	}
	return keep
}
