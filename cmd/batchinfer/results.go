package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("results", "print job items as JSON lines, by id or by status; --wait until jobs finish", runResults)
}

func runResults(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("results", stderr, "[--table T] [--wait 30s] JOB_ID... | --status FAILED|SUCCEEDED|IN_PROGRESS [--since 1h] [--limit N]")
	table := fs.String("table", os.Getenv("BATCHINFER_RESULTS_TABLE"), "results table (default $BATCHINFER_RESULTS_TABLE)")
	status := fs.String("status", "", "list jobs in this status through the status index")
	since := fs.Duration("since", 24*time.Hour, "with --status: jobs updated within this long")
	limit := fs.Int("limit", 100, "with --status: at most this many jobs (0: all)")
	wait := fs.Duration("wait", 0, "with job ids: wait this long for every job to finish; exit 1 if some did not")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *table == "" {
		return fmt.Errorf("%w: --table or BATCHINFER_RESULTS_TABLE is required", errUsage)
	}
	if (*status == "") == (fs.NArg() == 0) {
		fs.Usage()
		return fmt.Errorf("%w: give job ids or --status, not both", errUsage)
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	r := &store.Results{Client: dynamodb.NewFromConfig(awsCfg), Table: *table}
	enc := json.NewEncoder(stdout)
	printItem := func(rec *store.Record) error {
		item, err := rec.JSON()
		if err != nil {
			return err
		}
		return enc.Encode(item)
	}

	if *status != "" {
		st := store.Status(*status)
		if st != store.StatusFailed && st != store.StatusSucceeded && st != store.StatusInProgress {
			return fmt.Errorf("%w: --status %q is not FAILED, SUCCEEDED or IN_PROGRESS", errUsage, *status)
		}
		recs, err := r.ListByStatus(ctx, st, time.Now().Add(-*since), *limit)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := printItem(&recs[i]); err != nil {
				return err
			}
		}
		return nil
	}

	ids := fs.Args()
	var recs []*store.Record
	var waitErr error
	if *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		recs, waitErr = worker.WaitFinal(wctx, r, ids, time.Second)
	} else {
		for _, id := range ids {
			rec, err := r.Get(ctx, id)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
	}
	for i, rec := range recs {
		if rec == nil {
			if err := enc.Encode(map[string]string{"job_id": ids[i], "status": "NOT_FOUND"}); err != nil {
				return err
			}
			continue
		}
		if err := printItem(rec); err != nil {
			return err
		}
	}
	return waitErr
}
