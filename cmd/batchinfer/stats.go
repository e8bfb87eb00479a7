package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

func init() {
	register("stats", "summarise the worker's EMF metrics from its log lines (files or stdin): jobs, failures by code, latencies, cost", runStats)
}

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stats", stderr, "[--namespace NS] [--function NAME] [--json] [--log-group GROUP [--since 1h]] [LOGFILE ... | -]")
	ns := fs.String("namespace", statFirst(os.Getenv("BATCHINFER_METRICS_NAMESPACE"), metrics.DefaultNamespace), "metrics namespace to read (default $BATCHINFER_METRICS_NAMESPACE or batchinfer)")
	function := fs.String("function", "", "only this function's documents (default: all)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object instead of a table")
	group := fs.String("log-group", "", "read this CloudWatch Logs group (e.g. /aws/lambda/NAME) through FilterLogEvents instead of files")
	since := fs.Duration("since", time.Hour, "with --log-group: how far back to read")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *group != "" && len(fs.Args()) > 0 {
		return fmt.Errorf("%w: --log-group reads no files", errUsage)
	}
	var docs []metrics.Doc
	var err error
	if *group != "" {
		events := logGroup(ctx, *group, *ns, *since)
		docs, err = statParse(*group, events)
		events.Close() // stops the copy if Parse gave up early
	} else {
		docs, err = statFiles(ctx, fs.Args())
	}
	if err != nil {
		return err
	}
	if *function != "" {
		kept := docs[:0]
		for _, d := range docs {
			if d.Dimensions[metrics.DimFunction] == *function {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	s := metrics.Summarize(docs, *ns)
	if s.Documents == 0 {
		return fmt.Errorf("no %s metrics documents in the log (is BATCHINFER_METRICS off, or the namespace another?)", *ns)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(metrics.SummaryJSON(s))
	}
	return metrics.WriteTable(stdout, s)
}

// statFiles reads the documents of log files, "-" (or none) for stdin.
func statFiles(ctx context.Context, files []string) ([]metrics.Doc, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	var docs []metrics.Doc
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var r io.Reader = stdin
		if name == "-" {
			name = "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return nil, fmt.Errorf("open log: %w", err)
			}
			defer f.Close()
			r = f
		}
		d, err := statParse(name, r)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func statParse(name string, r io.Reader) ([]metrics.Doc, error) {
	docs, err := metrics.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return docs, nil
}

// logGroup streams the namespace's EMF documents of a log group from the
// last since, filtered by the service.
func logGroup(ctx context.Context, group, namespace string, since time.Duration) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		awsCfg, err := store.LoadAWSConfig(ctx)
		if err == nil {
			logs := &store.LogEvents{Client: cloudwatchlogs.NewFromConfig(awsCfg)}
			now := time.Now()
			_, err = logs.Copy(ctx, group, metrics.FilterPattern(namespace), now.Add(-since), now, pw)
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func statFirst(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
