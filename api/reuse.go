package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// ReuseLookup reads reuse entries (store.Results.Lookup): predict answers
// an input its model version already inferred from the stored output, as
// the worker does, and writes no entry of its own.
type ReuseLookup interface {
	Lookup(ctx context.Context, ids []string) (map[string]*store.Record, error)
}

func (p *Predictor) reuses(m *model.Model) bool {
	return p.Reuse != nil && (m.Reuse() || slices.Contains(p.ReuseModels, m.Name()))
}

// reused answers the instances whose entries exist (one BatchGetItem per
// 100), and says which. An entry whose output is only summarised on the
// item (the whole output in S3) is not used: predict answers whole
// outputs. A failed read costs only the inference it would have saved.
func (p *Predictor) reused(ctx context.Context, js []jobs.Job, m *model.Model, preds []engine.Prediction) []bool {
	hit := make([]bool, len(js))
	if !p.reuses(m) {
		return hit
	}
	keys := make([]string, len(js))
	var ask []string
	for i, j := range js {
		if preds[i].Err != nil || j.Entity != nil {
			continue
		}
		h, err := jobs.InputHash(j.Input)
		if j.Input.S3 != nil {
			sum := sha256.Sum256(j.Input.Data)
			h = hex.EncodeToString(sum[:])
		}
		if err != nil {
			continue
		}
		keys[i] = store.ReuseKey(m.Name(), m.Version(), h)
		ask = append(ask, keys[i])
	}
	if len(ask) == 0 {
		return hit
	}
	found, err := p.Reuse.Lookup(ctx, ask)
	if err != nil {
		return hit
	}
	for i, k := range keys {
		if e := found[k]; k != "" && e != nil && e.Status == store.StatusSucceeded && e.OutputURI == "" && len(e.Output) > 0 {
			preds[i].Output, hit[i] = e.Output, true
		}
	}
	return hit
}
