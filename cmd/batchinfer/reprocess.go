package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/store"
)

// reprocessCmd selects finished jobs and sends them through again.
type reprocessCmd struct {
	res    resources
	status string
	since  time.Duration
	opts   reprocess.Options
}

func (r *reprocessCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&r.status, "status", "FAILED", "jobs in this status: FAILED or SUCCEEDED")
	fs.DurationVar(&r.since, "since", 24*time.Hour, "jobs updated within this long")
	fs.StringVar(&r.opts.Code, "code", "", "only FAILED jobs with this error code")
	fs.StringVar(&r.opts.ModelVersionNot, "model-version-not", "", "only jobs whose model_version differs from this")
	fs.IntVar(&r.opts.Limit, "limit", 0, "at most this many jobs read (0: all)")
	r.res.queueFlag(fs, "jobs queue")
	r.res.tableFlag(fs)
	fs.BoolVar(&r.opts.DryRun, "dry-run", false, "print what would be done, change nothing")
}

func (r *reprocessCmd) run(ctx context.Context, c call) error {
	a, err := r.res.open(ctx)
	if err != nil {
		return err
	}
	rp := &reprocess.Reprocessor{Results: a.Results, Queue: a.Queue, Objects: a.Objects}
	opts := r.opts
	opts.Status, opts.Since = store.Status(r.status), time.Now().Add(-r.since)
	bar := newBar(c.stderr, -1, "jobs reprocessed", progressbar.OptionShowCount())
	opts.Progress = func(handled int) { _ = bar.Set(handled) }
	done, err := rp.Run(ctx, opts)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(c.stdout)
	summary := map[string]int{}
	for _, d := range done {
		summary[d.Action]++
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stderr, "reprocess: %d selected: %d requeued, %d would requeue, %d skipped, %d errors\n", len(done),
		summary[reprocess.ActionRequeued], summary[reprocess.ActionWouldRequeue], summary[reprocess.ActionSkipped], summary[reprocess.ActionError])
	if summary[reprocess.ActionError] > 0 {
		return fmt.Errorf("%d jobs could not be reprocessed (see their reason)", summary[reprocess.ActionError])
	}
	return nil
}
