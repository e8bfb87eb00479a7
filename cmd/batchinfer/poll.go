package main

import (
	"context"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("poll", "poll the jobs queue and run the worker outside Lambda (ECS, EKS, a GPU box)", runPoll)
}

func runPoll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("poll", stderr, "(configuration from BATCHINFER_* variables, BATCHINFER_QUEUE_URL required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	pcfg, err := worker.LoadPollConfig(os.Getenv)
	if err != nil {
		return err
	}
	w, err := startWorker(ctx, stderr)
	if err != nil {
		return err
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	p := &worker.Poller{W: w}
	p.FromConfig(pcfg)
	p.Queue = &store.Queue{Client: sqs.NewFromConfig(awsCfg), URL: pcfg.QueueURL}
	// SIGTERM cancels ctx (main): Run stops receiving, finishes the batches
	// in flight and returns nil, so the process exits 0.
	return p.Run(ctx)
}
