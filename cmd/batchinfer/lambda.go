package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("lambda", "run the Lambda handler (the default under the Lambda runtime)", runLambda)
}

func runLambda(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lambda", stderr, "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return fmt.Errorf("%w: AWS_LAMBDA_RUNTIME_API is not set; this command runs under Lambda or the runtime interface emulator (see `batchinfer local`)", errUsage)
	}
	w, err := startWorker(ctx, stderr)
	if err != nil {
		return err
	}
	lambda.StartWithOptions(w.Handle, lambda.WithContext(ctx))
	return nil
}

// startWorker is the init phase shared by `lambda` and `poll`: validated
// configuration, the JSON logger, AWS clients, ONNX Runtime and the models,
// and one "cold start" line with each step's duration.
func startWorker(ctx context.Context, stderr io.Writer) (*worker.Worker, error) {
	cfg, err := worker.LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(stderr, cfg.LogLevel)
	w, cs, err := worker.New(ctx, cfg, log)
	if err != nil {
		return nil, err
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
	return w, nil
}
