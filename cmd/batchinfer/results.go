package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("results", "show job items by id or by status: a table on a terminal, JSON lines otherwise; --wait until jobs finish", runResults)
}

type resultsFlags struct {
	table, status string
	since, wait   time.Duration
	limit         int
	asJSON        bool
	output        bool
}

func runResults(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f resultsFlags
	fs := newFlags("results", stderr, "[--table T] [--json] [--output] [--wait 30s] JOB_ID... | --status FAILED|SUCCEEDED|IN_PROGRESS [--since 1h] [--limit N]")
	fs.StringVar(&f.table, "table", os.Getenv("BATCHINFER_RESULTS_TABLE"), "results table (default $BATCHINFER_RESULTS_TABLE)")
	fs.StringVar(&f.status, "status", "", "list jobs in this status through the status index")
	fs.DurationVar(&f.since, "since", 24*time.Hour, "with --status: jobs updated within this long")
	fs.IntVar(&f.limit, "limit", 100, "with --status: at most this many jobs (0: all)")
	fs.DurationVar(&f.wait, "wait", 0, "with job ids: wait this long for every job to finish (a progress bar on a terminal); exit 1 if some did not")
	fs.BoolVar(&f.asJSON, "json", false, "JSON lines even on a terminal (the default when piped)")
	fs.BoolVar(&f.output, "output", false, "print each job's full output (fetched from output_uri when it is in S3) as JSON lines")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.table == "" {
		return fmt.Errorf("%w: --table or BATCHINFER_RESULTS_TABLE is required", errUsage)
	}
	if (f.status == "") == (fs.NArg() == 0) {
		fs.Usage()
		return fmt.Errorf("%w: give job ids or --status, not both", errUsage)
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	r := &store.Results{Client: dynamodb.NewFromConfig(awsCfg), Table: f.table}
	recs, ids, waitErr := readResults(ctx, r, &f, fs.Args(), stderr)
	if waitErr != nil && recs == nil {
		return waitErr
	}
	switch {
	case f.output:
		err = printOutputs(ctx, awsCfg, stdout, recs, ids)
	case f.asJSON || !isTerminal(stdout):
		err = printItems(stdout, recs, ids)
	default:
		err = printTable(stdout, recs, ids, time.Now())
	}
	if err != nil {
		return err
	}
	return waitErr
}

// readResults lists by status, or reads (or follows, with --wait) the
// named jobs; ids are the names, aligned with recs (nil: no item).
func readResults(ctx context.Context, r *store.Results, f *resultsFlags, ids []string, stderr io.Writer) ([]*store.Record, []string, error) {
	if f.status != "" {
		st := store.Status(f.status)
		if st != store.StatusFailed && st != store.StatusSucceeded && st != store.StatusInProgress {
			return nil, nil, fmt.Errorf("%w: --status %q is not FAILED, SUCCEEDED or IN_PROGRESS", errUsage, f.status)
		}
		list, err := r.ListByStatus(ctx, st, time.Now().Add(-f.since), f.limit)
		if err != nil {
			return nil, nil, err
		}
		recs := make([]*store.Record, len(list))
		ids = make([]string, len(list))
		for i := range list {
			recs[i], ids[i] = &list[i], list[i].JobID
		}
		return recs, ids, nil
	}
	if f.wait <= 0 {
		recs := make([]*store.Record, len(ids))
		for i, id := range ids {
			rec, err := r.Get(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			recs[i] = rec
		}
		return recs, ids, nil
	}
	wctx, cancel := context.WithTimeout(ctx, f.wait)
	defer cancel()
	bar := newBar(stderr, int64(len(ids)), "jobs finished", progressbar.OptionShowCount())
	recs, err := worker.Follow(wctx, r, ids, time.Second, func(final, _ int) { _ = bar.Set(final) })
	_ = bar.Finish()
	return recs, ids, err
}

func printItems(w io.Writer, recs []*store.Record, ids []string) error {
	enc := json.NewEncoder(w)
	for i, rec := range recs {
		var v any = map[string]string{"job_id": ids[i], "status": "NOT_FOUND"}
		if rec != nil {
			item, err := rec.JSON()
			if err != nil {
				return err
			}
			v = item
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// printOutputs prints {"job_id", "output"} per finished job: the item's
// output when it is whole, else the output object's.
func printOutputs(ctx context.Context, cfg aws.Config, w io.Writer, recs []*store.Record, ids []string) error {
	fetch := &store.Inputs{Client: store.NewS3Client(cfg), MaxBytes: 1 << 30}
	enc := json.NewEncoder(w)
	for i, rec := range recs {
		line := map[string]any{"job_id": ids[i]}
		out, err := worker.FullOutput(ctx, fetch, rec)
		switch {
		case rec == nil:
			line["status"] = "NOT_FOUND"
		case err != nil:
			return err
		default:
			line["status"], line["output"] = rec.Status, out
			if rec.Error != nil {
				line["error"] = rec.Error
			}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}
