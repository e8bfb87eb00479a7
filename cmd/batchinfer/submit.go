package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// submitCmd sends work: files to the inbox, or jobs to the queue.
type submitCmd struct {
	queueURL, bucket, prefix, table  string
	model, jobID, metadata, features string
	file, jobs                       string
	strict, rerun                    bool
	concurrency                      int
	wait                             time.Duration
}

func (f *submitCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.queueURL, "queue-url", settings.Current(settings.QueueURL), "jobs queue URL (default $"+settings.QueueURL.Name+")")
	inbox := append(settings.SplitList(settings.Current(settings.InputBuckets)), "")[0]
	fs.StringVar(&f.bucket, "bucket", inbox, "PATH...: the inbox bucket (default the first of $"+settings.InputBuckets.Name+")")
	fs.StringVar(&f.prefix, "prefix", "", "PATH...: key prefix in the inbox (e.g. the stack's inboxPrefix)")
	fs.IntVar(&f.concurrency, "concurrency", 8, "PATH...: uploads at once")
	fs.StringVar(&f.jobs, "jobs", "", "a JSON-lines file of jobs (- for stdin), sent in batches; bad lines are reported by number")
	fs.BoolVar(&f.strict, "strict", false, "with --jobs: stop at the first bad line, send nothing")
	fs.StringVar(&f.model, "model", "", "model name (default: the worker's default model)")
	fs.StringVar(&f.jobID, "job-id", "", "job id (default: the message id); only with a single job")
	fs.StringVar(&f.metadata, "metadata", "", "JSON object copied to the result")
	fs.StringVar(&f.features, "features", "", "inline tabular input: a JSON array or object")
	fs.StringVar(&f.file, "file", "", fmt.Sprintf("send this file inline, base64-encoded (at most %d KiB)", client.MaxInlineDataBytes>>10))
	fs.DurationVar(&f.wait, "wait", 0, "follow the jobs this long with a progress bar, then print a summary; exit 1 if some did not finish")
	fs.StringVar(&f.table, "table", settings.Current(settings.ResultsTable), "results table: jobs already finished there are not sent again, and --wait reads it (default $"+settings.ResultsTable.Name+")")
	fs.BoolVar(&f.rerun, "rerun", false, "send jobs that already have a result again, resetting their items so they run again")
}

func (f *submitCmd) run(ctx context.Context, c call) error {
	if len(c.args) == 1 && c.args[0] == "-" {
		f.jobs = "-"
	}
	paths := c.args
	if f.jobs != "" {
		paths = nil
	}
	kinds := 0
	for _, set := range []bool{f.features != "", f.file != "", f.jobs != "", len(paths) > 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		c.usage()
		return fmt.Errorf("%w: give exactly one of PATH..., s3:// URIs, --jobs, --features, --file or -", errUsage)
	}
	if (f.wait > 0 || f.rerun) && f.table == "" {
		return fmt.Errorf("%w: --wait and --rerun need --table or %s", errUsage, settings.ResultsTable.Name)
	}
	// One set of clients for the whole submission: uploads, sends and the
	// follow all use it.
	a, err := store.Open(ctx, store.OpenOptions{QueueURL: f.queueURL, ResultsTable: f.table})
	if err != nil {
		return err
	}
	var ids []string
	switch {
	case len(paths) > 0 && !strings.HasPrefix(paths[0], "s3://"):
		ids, err = f.files(ctx, a, paths, c.stdout, c.stderr)
	case f.jobs != "":
		ids, err = f.jobLines(ctx, a, c.stdout, c.stderr)
	default:
		ids, err = f.inline(ctx, a, paths, c.stdout, c.stderr)
	}
	if f.wait <= 0 || len(ids) == 0 {
		return err
	}
	// What was sent is followed even when some of the work was refused.
	return errors.Join(err, followJobs(ctx, a.Results, a.Queue, ids, f.wait, c.stderr))
}

// jobLines sends a JSON-lines file of jobs; a bad line is reported with its
// number and the others are still sent (unless --strict).
func (f *submitCmd) jobLines(ctx context.Context, a *store.Adapters, stdout, stderr io.Writer) ([]string, error) {
	if f.jobID != "" || f.model != "" || f.metadata != "" {
		return nil, fmt.Errorf("%w: with --jobs each line is a whole job JSON; --job-id, --model and --metadata do not apply", errUsage)
	}
	in := stdin
	if f.jobs != "-" {
		fh, err := os.Open(f.jobs)
		if err != nil {
			return nil, fmt.Errorf("--jobs: %w", err)
		}
		defer fh.Close()
		in = fh
	}
	bodies, _, bad, err := client.ReadJobLines(in, f.strict)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		fmt.Fprintf(stderr, "batchinfer submit: %s: %v\n", f.jobs, b)
	}
	if f.strict && len(bad) > 0 {
		return nil, fmt.Errorf("%s: %w (--strict: nothing sent)", f.jobs, bad[0])
	}
	ids, err := f.send(ctx, a, bodies, stdout, stderr)
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("%d bad lines not sent, %d jobs sent", len(bad), len(ids))
	}
	return ids, err
}
