package worker

import (
	"context"

	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/jobs"
)

// entityOptions let a CSV's key column name each row's entity when the
// model has a feature source (jobs.RecordReaderOptions.EntityKey).
func (fr *fileRun) entityOptions(o jobs.RecordReaderOptions) jobs.RecordReaderOptions {
	if fs := fr.t.model.FeatureSource(); fs != nil {
		o.EntityKey, o.Stored = fs.Key, fs.Features
	}
	return o
}

// readFeatures reads the entities of a pack's records as readFeatures
// does a batch's jobs: one BatchGetItem per 100 distinct keys (the
// features package). A failed read is the pack's transient error: the
// file pauses before it. Records without an entity, or of a model without
// a feature source, need nothing (found[i].Needed is false).
func (fr *fileRun) readFeatures(ctx context.Context, recs []jobs.Record) ([]feat.Found, error) {
	if fr.t.model.FeatureSource() == nil {
		return make([]feat.Found, len(recs)), nil
	}
	wants := make([]feat.Want, len(recs))
	for i, r := range recs {
		wants[i] = feat.Want{Model: fr.t.model}
		if r.Err == nil {
			wants[i].Entity = r.Entity
		}
	}
	t0 := fr.w.now()
	found, err := fr.w.Features.Read(ctx, wants)
	fr.t.m.phase("features", t0)
	return found, err
}
