package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// resultsCmd shows job items, by id or by status.
type resultsCmd struct {
	res         resources
	status      string
	since, wait time.Duration
	limit       int
	asJSON      bool
	output      bool
	inputs      []string // s3:// URIs whose jobs to show
}

func (f *resultsCmd) flags(fs *flag.FlagSet) {
	f.res.tableFlag(fs)
	fs.StringVar(&f.status, "status", "", "list jobs in this status through the status index")
	fs.DurationVar(&f.since, "since", 24*time.Hour, "with --status: jobs updated within this long")
	fs.IntVar(&f.limit, "limit", 100, "with --status: at most this many jobs (0: all)")
	fs.DurationVar(&f.wait, "wait", 0, "with job ids: wait this long for every job to finish (a progress bar on a terminal); exit 1 if some did not")
	fs.BoolVar(&f.asJSON, "json", false, "JSON lines even on a terminal (the default when piped)")
	fs.Func("input", "an s3://bucket/key whose job to show (its id derived from the object's current version or ETag, as `batchinfer jobid` prints it); repeatable", func(v string) error {
		f.inputs = append(f.inputs, v)
		return nil
	})
	fs.BoolVar(&f.output, "output", false, "print each job's full output (fetched from output_uri when it is in S3) as JSON lines")
	// Full outputs are read whole, however large (the worker's cap is for inputs).
	f.res.opts.MaxInputBytes = 1 << 30
	// --wait says what the jobs queue holds when it is known (optional).
	fs.StringVar(&f.res.opts.QueueURL, "queue-url", settings.Current(settings.QueueURL), "with --wait: the jobs queue, whose backlog the wait reports (default $"+settings.QueueURL.Name+")")
}

func (f *resultsCmd) run(ctx context.Context, c call) error {
	if (f.status == "") == (len(c.args)+len(f.inputs) == 0) {
		c.usage()
		return fmt.Errorf("%w: give job ids (or --input s3://...) or --status, not both", errUsage)
	}
	a, err := f.res.open(ctx)
	if err != nil {
		return err
	}
	for _, uri := range f.inputs {
		id, err := objectJobID(ctx, a.Objects, uri)
		if err != nil {
			return err
		}
		c.args = append(c.args, id)
	}
	recs, ids, waitErr := f.read(ctx, a.Results, a.Queue, c)
	if waitErr != nil && recs == nil {
		return waitErr
	}
	switch {
	case f.output:
		err = printOutputs(ctx, a.Inputs, c.stdout, recs, ids)
	case f.asJSON || !isTerminal(c.stdout):
		err = printItems(c.stdout, recs, ids)
	default:
		err = printTable(c.stdout, recs, ids, time.Now())
	}
	if err != nil {
		return err
	}
	return waitErr
}

// read lists by status, or reads (or follows, with --wait) the named jobs;
// ids are the names, aligned with recs (nil: no item).
func (f *resultsCmd) read(ctx context.Context, r *store.Results, q *store.Queue, c call) ([]*store.Record, []string, error) {
	ids := c.args
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
		if !f.output && (f.asJSON || !isTerminal(c.stdout)) {
			return recs, ids, nil // the index's projection, as documented
		}
		// The table shows each result at a glance and --output each whole
		// output, which the index does not hold: the whole items, one
		// BatchGetItem per 100.
		found, err := r.Lookup(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		for i, id := range ids {
			if full := found[id]; full != nil {
				recs[i] = full
			}
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
	recs, err := newWaitWatch(r, q).follow(ctx, ids, f.wait, time.Second, c.stderr)
	return recs, ids, err
}

// objectJobID is the job id of an object as it is now.
func objectJobID(ctx context.Context, objs *store.Objects, uri string) (string, error) {
	obj, err := jobs.ParseS3URI(uri)
	if err != nil {
		return "", fmt.Errorf("%w: --input: %s", errUsage, jobs.MessageOf(err))
	}
	version, etag, err := objs.ObjectVersion(ctx, obj.Bucket, obj.Key)
	if err != nil {
		return "", fmt.Errorf("--input: %w (for an object since rewritten or deleted, `batchinfer jobid %s --etag E` gives its old job id)", err, uri)
	}
	return jobs.ObjectJobID(obj.Bucket, obj.Key, version, etag), nil
}
