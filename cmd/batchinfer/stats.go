package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/settings"
)

// statsCmd summarises the worker's EMF documents.
type statsCmd struct {
	ns, function, group string
	asJSON              bool
	since               time.Duration
}

func (s *statsCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.ns, "namespace", settings.Current(settings.MetricsNamespace), "metrics namespace to read (default $"+settings.MetricsNamespace.Name+" or "+settings.MetricsNamespace.Default+")")
	fs.StringVar(&s.function, "function", "", "only this function's documents (default: all)")
	fs.BoolVar(&s.asJSON, "json", false, "print the summary as one JSON object instead of a table")
	fs.StringVar(&s.group, "log-group", "", "read this CloudWatch Logs group (e.g. /aws/lambda/NAME) through FilterLogEvents instead of files")
	fs.DurationVar(&s.since, "since", time.Hour, "with --log-group: how far back to read")
}

func (s *statsCmd) run(ctx context.Context, c call) error {
	if s.group != "" && len(c.args) > 0 {
		return fmt.Errorf("%w: --log-group reads no files", errUsage)
	}
	var docs []metrics.Doc
	var err error
	if s.group != "" {
		events := logGroup(ctx, s.group, s.ns, s.since)
		docs, err = statParse(s.group, events)
		events.Close() // stops the copy if Parse gave up early
	} else {
		docs, err = statFiles(ctx, c.args)
	}
	if err != nil {
		return err
	}
	if s.function != "" {
		kept := docs[:0]
		for _, d := range docs {
			if d.Dimensions[metrics.DimFunction] == s.function {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	sum := metrics.Summarize(docs, s.ns)
	if sum.Documents == 0 {
		return fmt.Errorf("no %s metrics documents in the log (is %s off, or the namespace another?)", s.ns, settings.MetricsOn.Name)
	}
	if s.asJSON {
		return json.NewEncoder(c.stdout).Encode(metrics.SummaryJSON(sum))
	}
	return metrics.WriteTable(c.stdout, sum)
}
