package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"text/tabwriter"
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
		return json.NewEncoder(stdout).Encode(statsJSON(s))
	}
	return printStats(stdout, s)
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

// statsJSON is the summary's headline figures, for scripts and the demo.
func statsJSON(s metrics.Summary) map[string]any {
	finite := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return map[string]any{
		"invocations": s.Invocations, "cold_starts": s.Totals["ColdStart"],
		"jobs": s.Jobs(), "succeeded": s.Totals["JobsSucceeded"], "failed": s.Totals["JobsFailed"],
		"retried": s.Totals["JobsRetried"], "skipped": s.Totals["JobsSkipped"], "records": s.Totals["Records"],
		"errors": s.Errors, "retries": s.Retries, "failure_rate": finite(statFailureRate(s)),
		"queue_age_ms_p50": finite(s.Percentile("QueueAgeMs", 50)), "queue_age_ms_p99": finite(s.Percentile("QueueAgeMs", 99)),
		"invocation_ms_p50": finite(s.Percentile("InvocationMs", 50)), "invocation_ms_p99": finite(s.Percentile("InvocationMs", 99)),
		"batch_fill_mean": finite(s.Mean("BatchFill")), "inferences": s.Inferences(),
		"gb_seconds": s.Totals["GBSeconds"], "request_cost_usd": s.Totals["RequestCostUSD"],
		"estimated_cost_usd": s.Totals["EstimatedCostUSD"], "cost_per_1k_inferences_usd": finite(s.CostPer1kInferences()),
	}
}

// statFailureRate is failed jobs over finished ones (succeeded + failed).
func statFailureRate(s metrics.Summary) float64 {
	done := s.Totals["JobsSucceeded"] + s.Totals["JobsFailed"]
	if done == 0 {
		return math.NaN()
	}
	return s.Totals["JobsFailed"] / done
}

// printStats writes the summary as aligned tables, one per question an
// operator asks: did jobs succeed, why not, how fast, how full, how much.
func printStats(w io.Writer, s metrics.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...any) {
		for _, c := range cells {
			fmt.Fprintf(tw, "%v\t", c)
		}
		fmt.Fprintln(tw)
	}
	row("invocations", "cold starts", "jobs", "succeeded", "failed", "retried", "skipped", "records", "failure rate")
	row(s.Invocations, s.Totals["ColdStart"], s.Jobs(), s.Totals["JobsSucceeded"], s.Totals["JobsFailed"],
		s.Totals["JobsRetried"], s.Totals["JobsSkipped"], s.Totals["Records"], statPct(statFailureRate(s)))
	row()
	if len(s.Errors)+len(s.Retries) > 0 {
		statCodes(row, s)
		row()
	}
	row("ms", "p50", "p99", "max")
	for _, m := range []struct{ label, name string }{
		{"queue age", "QueueAgeMs"}, {"invocation", "InvocationMs"}, {"fetch", "FetchMs"},
		{"infer", "InferMs"}, {"store", "StoreMs"}, {"init (cold)", "InitMs"},
	} {
		if len(s.Samples[m.name]) > 0 {
			row(m.label, statNum(s.Percentile(m.name, 50)), statNum(s.Percentile(m.name, 99)), statNum(s.Percentile(m.name, 100)))
		}
	}
	row()
	row("batches", "rows p50", "rows max", "fill mean", "padding mean", "inferences")
	row(len(s.Samples["BatchSize"]), statNum(s.Percentile("BatchSize", 50)), statNum(s.Percentile("BatchSize", 100)),
		statPct(s.Mean("BatchFill")/100), statPct(s.Mean("PaddingWaste")/100), s.Inferences())
	row()
	row("GB-s", "requests USD", "estimated USD", "per 1k inferences USD")
	row(fmt.Sprintf("%.3f", s.Totals["GBSeconds"]), statUSD(s.Totals["RequestCostUSD"]), statUSD(s.Totals["EstimatedCostUSD"]), statUSD(s.CostPer1kInferences()))
	return tw.Flush()
}

// statCodes is the error-code table: jobs failed (DLQ entries) and
// transient failures (retries) by code, most failures first.
func statCodes(row func(...any), s metrics.Summary) {
	codes := map[string]bool{}
	for c := range s.Errors {
		codes[c] = true
	}
	for c := range s.Retries {
		codes[c] = true
	}
	sorted := slices.Collect(maps.Keys(codes))
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if s.Errors[a] != s.Errors[b] {
			return s.Errors[a] > s.Errors[b]
		}
		if s.Retries[a] != s.Retries[b] {
			return s.Retries[a] > s.Retries[b]
		}
		return a < b
	})
	row("error code", "failed", "retried", "failed per job")
	for _, c := range sorted {
		row(c, s.Errors[c], s.Retries[c], statPct(s.Errors[c]/s.Jobs()))
	}
}

func statNum(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func statPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func statUSD(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.8f", v)
}
