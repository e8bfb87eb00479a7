package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("reprocess", "run finished jobs again (failed ones, or those of an older model version)", runReprocess)
}

func runReprocess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reprocess", stderr, "--status FAILED|SUCCEEDED [--since 24h] [--code CODE] [--model-version-not V] [--queue-url URL] [--table T] [--dry-run]")
	status := fs.String("status", "FAILED", "jobs in this status: FAILED or SUCCEEDED")
	since := fs.Duration("since", 24*time.Hour, "jobs updated within this long")
	code := fs.String("code", "", "only FAILED jobs with this error code")
	notVersion := fs.String("model-version-not", "", "only jobs whose model_version differs from this")
	limit := fs.Int("limit", 0, "at most this many jobs read (0: all)")
	queueURL := fs.String("queue-url", os.Getenv("BATCHINFER_QUEUE_URL"), "jobs queue (default $BATCHINFER_QUEUE_URL)")
	table := fs.String("table", os.Getenv("BATCHINFER_RESULTS_TABLE"), "results table (default $BATCHINFER_RESULTS_TABLE)")
	dryRun := fs.Bool("dry-run", false, "print what would be done, change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *table == "" || *queueURL == "" {
		return fmt.Errorf("%w: --table and --queue-url (or BATCHINFER_RESULTS_TABLE and BATCHINFER_QUEUE_URL) are required", errUsage)
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	rp := &worker.Reprocessor{
		Results: &store.Results{Client: dynamodb.NewFromConfig(awsCfg), Table: *table},
		Queue:   &store.Queue{Client: sqs.NewFromConfig(awsCfg), URL: *queueURL},
		Objects: &store.Objects{Client: store.NewS3Client(awsCfg)},
	}
	done, err := rp.Run(ctx, worker.ReprocessOptions{
		Status: store.Status(*status), Since: time.Now().Add(-*since), Code: *code,
		ModelVersionNot: *notVersion, Limit: *limit, DryRun: *dryRun,
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	summary := map[string]int{}
	for _, r := range done {
		summary[r.Action]++
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "reprocess: %d selected: %d requeued, %d would requeue, %d skipped, %d errors\n", len(done),
		summary[worker.ActionRequeued], summary[worker.ActionWouldRequeue], summary[worker.ActionSkipped], summary[worker.ActionError])
	if summary[worker.ActionError] > 0 {
		return fmt.Errorf("%d jobs could not be reprocessed (see their reason)", summary[worker.ActionError])
	}
	return nil
}
