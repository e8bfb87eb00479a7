package main

import (
	"context"
	"io"
	"os"

	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("isolate", "internal: run suspected crashers' inputs for the worker (request on stdin, JSON answer on stdout)", runIsolate)
}

// runIsolate is the child the worker starts for jobs whose earlier attempt
// died without an outcome: if an input kills this process, only its jobs
// fail (inference_crashed), not the whole batch.
func runIsolate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("isolate", stderr, "(started by the worker; models and inputs arrive on stdin)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if err := model.InitRuntime(cfg.ORTLib); err != nil {
		return err
	}
	return worker.ServeIsolated(ctx, os.Stdin, stdout, model.Options{IntraOpThreads: cfg.IntraOpThreads})
}
