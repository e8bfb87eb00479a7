package main

import (
	"context"
	"fmt"
	"os"

	"github.com/batchinfer/batchinfer/api"
	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

// apiPredictor loads the models BATCHINFER_MODELS names for `batchinfer
// api`'s predict routes; nil (and no error) when it names none.
func apiPredictor(ctx context.Context, a *store.Adapters) (*api.Predictor, error) {
	e := settings.From(os.Getenv)
	locs := e.List(settings.Models)
	if len(locs) == 0 {
		return nil, nil
	}
	cfg := worker.Config{ORTLib: os.Getenv("ONNXRUNTIME_LIB"), Models: locs, ModelCache: e.Text(settings.ModelCache),
		IntraOpThreads: int(e.Int(settings.IntraOpThreads, 0))}
	if err := e.Err(); err != nil {
		return nil, err
	}
	if err := model.InitRuntime(cfg.ORTLib); err != nil {
		return nil, err
	}
	ms, _, _, err := worker.LoadModels(ctx, a.Objects, cfg)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(ms)
	if err != nil {
		return nil, err
	}
	p, err := api.NewPredictor(os.Getenv, eng, a.Inputs)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	tables, err := features.ParseTables(e.List(settings.FeatureTables))
	if err != nil {
		return nil, err
	}
	p.Features = &features.Joiner{Reader: &store.Features{Client: a.Results.Client}, Tables: tables}
	p.Reuse = a.Results
	return p, nil
}

// functionPredictor serves the function's API Gateway proxy events with
// the worker's own engine and S3 reads; one request per invocation, so no
// queue delay.
func functionPredictor(w *worker.Worker) (*api.Predictor, error) {
	p, err := api.NewPredictor(os.Getenv, w.Engine, w.Inputs)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	p.Batcher = nil
	p.Features = w.Features
	p.Reuse = w.Results
	return p, nil
}
