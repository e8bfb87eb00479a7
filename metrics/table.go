package metrics

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"text/tabwriter"
)

// SummaryJSON is the summary's headline figures, for scripts (stats --json).
func SummaryJSON(s Summary) map[string]any {
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
		"errors": s.Errors, "retries": s.Retries, "failure_rate": finite(failureRate(s)),
		"queue_age_ms_p50": finite(s.Percentile("QueueAgeMs", 50)), "queue_age_ms_p99": finite(s.Percentile("QueueAgeMs", 99)),
		"invocation_ms_p50": finite(s.Percentile("InvocationMs", 50)), "invocation_ms_p99": finite(s.Percentile("InvocationMs", 99)),
		"batch_fill_mean": finite(s.Mean("BatchFill")), "inferences": s.Inferences(),
		"gb_seconds": s.Totals["GBSeconds"], "request_cost_usd": s.Totals["RequestCostUSD"],
		"estimated_cost_usd": s.Totals["EstimatedCostUSD"], "cost_per_1k_inferences_usd": finite(s.CostPer1kInferences()),
	}
}

// failureRate is failed jobs over finished ones (succeeded + failed).
func failureRate(s Summary) float64 {
	done := s.Totals["JobsSucceeded"] + s.Totals["JobsFailed"]
	if done == 0 {
		return math.NaN()
	}
	return s.Totals["JobsFailed"] / done
}

// WriteTable writes the summary as aligned tables (`batchinfer stats`, the
// demo's closing summary), one per question an
// operator asks: did jobs succeed, why not, how fast, how full, how much.
func WriteTable(w io.Writer, s Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...any) {
		for _, c := range cells {
			fmt.Fprintf(tw, "%v\t", c)
		}
		fmt.Fprintln(tw)
	}
	row("invocations", "cold starts", "jobs", "succeeded", "failed", "retried", "skipped", "records", "failure rate")
	row(s.Invocations, s.Totals["ColdStart"], s.Jobs(), s.Totals["JobsSucceeded"], s.Totals["JobsFailed"],
		s.Totals["JobsRetried"], s.Totals["JobsSkipped"], s.Totals["Records"], fmtPct(failureRate(s)))
	row()
	if len(s.Errors)+len(s.Retries) > 0 {
		codeRows(row, s)
		row()
	}
	row("ms", "p50", "p99", "max")
	for _, m := range []struct{ label, name string }{
		{"queue age", "QueueAgeMs"}, {"invocation", "InvocationMs"}, {"fetch", "FetchMs"},
		{"infer", "InferMs"}, {"store", "StoreMs"}, {"init (cold)", "InitMs"},
	} {
		if len(s.Samples[m.name]) > 0 {
			row(m.label, fmtNum(s.Percentile(m.name, 50)), fmtNum(s.Percentile(m.name, 99)), fmtNum(s.Percentile(m.name, 100)))
		}
	}
	row()
	row("batches", "rows p50", "rows max", "fill mean", "padding mean", "inferences")
	row(len(s.Samples["BatchSize"]), fmtNum(s.Percentile("BatchSize", 50)), fmtNum(s.Percentile("BatchSize", 100)),
		fmtPct(s.Mean("BatchFill")/100), fmtPct(s.Mean("PaddingWaste")/100), s.Inferences())
	row()
	row("GB-s", "requests USD", "estimated USD", "per 1k inferences USD")
	row(fmt.Sprintf("%.3f", s.Totals["GBSeconds"]), fmtUSD(s.Totals["RequestCostUSD"]), fmtUSD(s.Totals["EstimatedCostUSD"]), fmtUSD(s.CostPer1kInferences()))
	return tw.Flush()
}

// codeRows is the error-code table: jobs failed (DLQ entries) and
// transient failures (retries) by code, most failures first.
func codeRows(row func(...any), s Summary) {
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
		row(c, s.Errors[c], s.Retries[c], fmtPct(s.Errors[c]/s.Jobs()))
	}
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func fmtUSD(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.8f", v)
}
