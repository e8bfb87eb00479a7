package main

// The commands that are the worker itself: the Lambda bootstrap, the same
// worker as a long-running SQS poller, and the child it starts to isolate
// suspected crashers.

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

// lambdaCmd is the function's bootstrap.
type lambdaCmd struct{ noFlags }

func (lambdaCmd) run(ctx context.Context, c call) error {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return fmt.Errorf("%w: AWS_LAMBDA_RUNTIME_API is not set; this command runs under Lambda or the runtime interface emulator (see `batchinfer local`)", errUsage)
	}
	w, _, err := startWorker(ctx, c.stderr, metrics.ModeLambda)
	if err != nil {
		return err
	}
	p, err := functionPredictor(w)
	if err != nil {
		return err
	}
	w.HTTP = p.Handler()
	lambda.StartWithOptions(w.Handle, lambda.WithContext(ctx))
	return nil
}

// startWorker is the init phase shared by `lambda` and `poll`: validated
// configuration, the JSON logger, AWS clients (returned too: the poller
// receives through the same ones), ONNX Runtime and the models, and one
// "cold start" line with each step's duration. mode is the metrics' mode
// dimension: the same environment runs both commands.
func startWorker(ctx context.Context, stderr io.Writer, mode string) (*worker.Worker, *store.Adapters, error) {
	cfg, err := worker.LoadConfig(os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	cfg.Metrics.Mode = mode
	log := newLogger(stderr, cfg.LogLevel)
	aws, err := worker.OpenAdapters(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	w, cs, err := worker.New(ctx, cfg, aws, log)
	if err != nil {
		return nil, nil, err
	}
	// Suspected crashers run in `batchinfer isolate` children of this binary.
	if self, err := os.Executable(); err == nil {
		w.Isolator = worker.NewIsolator(self, cfg, w.Engine.Models())
	} else {
		log.Warn("no crash isolation: cannot find this binary", "err", err)
	}
	log.Info("cold start",
		"ort_init_ms", cs.ORTInit.Milliseconds(), "model_fetch_ms", cs.ModelFetch.Milliseconds(),
		"session_create_ms", cs.SessionCreate.Milliseconds(), "total_ms", cs.Total.Milliseconds(),
		"models", len(w.Engine.Models()))
	return w, aws, nil
}

// pollCmd is the worker as a long-running process.
type pollCmd struct{ noFlags }

func (pollCmd) run(ctx context.Context, c call) error {
	pcfg, err := worker.LoadPollConfig(os.Getenv)
	if err != nil {
		return err
	}
	// Each batch reports as an invocation of its own, priced as its share
	// of the container (BATCHINFER_POLL_CONCURRENCY, read with the metrics).
	w, aws, err := startWorker(ctx, c.stderr, metrics.ModePoll)
	if err != nil {
		return err
	}
	aws.Queue.Log = w.Log // BATCHINFER_QUEUE_URL is set: LoadPollConfig checked
	// SIGTERM cancels ctx (main): Run stops receiving, finishes the batches
	// in flight and returns nil, so the process exits 0.
	return worker.NewPoller(w, aws.Queue, pcfg).Run(ctx)
}

// isolateCmd is the child the worker starts for jobs whose earlier attempt
// died without an outcome: if an input kills this process, only its jobs
// fail (inference_crashed), not the whole batch.
type isolateCmd struct{ noFlags }

func (isolateCmd) run(ctx context.Context, c call) error {
	cfg, err := worker.LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if err := model.InitRuntime(cfg.ORTLib); err != nil {
		return err
	}
	return engine.ServeIsolated(ctx, os.Stdin, c.stdout, model.Options{IntraOpThreads: cfg.IntraOpThreads})
}
