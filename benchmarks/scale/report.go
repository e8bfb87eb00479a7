package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Report prints the deployment, one row per rate, and the limits with what
// each needs, as Markdown (docs/scale.md is this output).
func Report(w io.Writer, d Deployment, p Profile, rs []Result) {
	runner := fmt.Sprintf("Lambda %d MiB (%.2f vCPU, %s), batch %d, window %gs",
		d.MemoryMiB, d.VCPU(), d.Architecture, d.BatchSize, d.MaxBatchingWindowSeconds)
	if d.Provisioned() {
		runner += fmt.Sprintf(", provisioned pollers %d..%d", d.ESMMinPollers, d.maxPollers())
	} else {
		runner += fmt.Sprintf(", maxConcurrency %d", d.MaxConcurrency)
	}
	if d.OnECS() {
		runner = fmt.Sprintf("ECS %s poller, %d..%d tasks of %g vCPU / %d MiB, batch %d",
			d.Poller, d.PollerMinTasks, d.PollerMaxTasks, d.PollerCPU, d.PollerMemory, d.BatchSize)
	}
	index := "old status-updated_at index (key status, projection ALL)"
	if d.StatusShards > 0 {
		index = fmt.Sprintf("sharded status index (%d shards, small projection)", d.StatusShards)
		if d.LegacyStatusIndex {
			index += " and the old one beside it"
		}
	}
	fmt.Fprintf(w, "Deployment: %s; %s; outputs %d B; record files %.0f%%; notifications %s.\n",
		runner, index, d.OutputBytes, d.RecordFileShare*100, d.Notify)
	fmt.Fprintf(w, "Workload: %s (measured %.1f jobs/s on %d vCPUs in invocations of %d; %.2f ms a job, %.0f ms fixed).\n\n",
		p.Name, p.MeasuredJobsPerSec, MeasuredVCPU, p.MeasuredBatch, p.PerJobMs(), p.FixedMs)
	fmt.Fprintln(w, "| jobs/s | first limit (jobs/s) | backlog growth | slowest ramp | time to result | cost / 1M jobs | of which DynamoDB (index) |")
	fmt.Fprintln(w, "| ---: | --- | ---: | --- | ---: | ---: | ---: |")
	for _, r := range rs {
		f := r.First()
		ramp := "none"
		if r.RampMinutes > 0 {
			ramp = fmt.Sprintf("%s: %s, %s jobs queued", r.RampName, minutes(r.RampMinutes), num(r.RampBacklog))
		}
		growth := "0"
		if r.BacklogPerSec > 0 {
			growth = fmt.Sprintf("+%s jobs/s (%s/h)", num(r.BacklogPerSec), num(r.BacklogPerSec*3600))
		}
		ttr := "unbounded"
		if !math.IsInf(r.ResultSeconds, 1) {
			ttr = fmt.Sprintf("%.2f s", r.ResultSeconds)
		}
		fmt.Fprintf(w, "| %s | %s (%s) | %s | %s | %s | $%.2f | $%.2f ($%.2f) |\n",
			num(r.Rate), f.Name, num(f.JobsPerSec), growth, ramp, ttr, r.Cost.Total, r.Cost.DynamoDB, r.Cost.IndexShare)
	}
	if len(rs) == 0 {
		return
	}
	c := rs[len(rs)-1].Cost
	fmt.Fprintf(w, "\nCost of 1M jobs at %s jobs/s: compute $%.2f, SQS $%.2f, DynamoDB $%.2f (status index $%.2f), S3 $%.2f, producers' uploads $%.2f, notifications $%.2f, logs $%.2f.\n",
		num(rs[len(rs)-1].Rate), c.Compute, c.SQS, c.DynamoDB, c.IndexShare, c.S3, c.Producers, c.Notify, c.Logs)
	fmt.Fprintln(w, "\n| limit | jobs/s | what it needs |")
	fmt.Fprintln(w, "| --- | ---: | --- |")
	for _, l := range rs[0].Limits {
		fmt.Fprintf(w, "| %s | %s | %s |\n", l.Name, num(l.JobsPerSec), l.Needs)
	}
}

// num prints a figure with thousands separators, no decimals above 100.
func num(v float64) string {
	if v < 100 {
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// minutes prints a ramp's length: seconds under a minute.
func minutes(m float64) string {
	if m < 1 {
		return fmt.Sprintf("%.0f s", math.Ceil(m*60))
	}
	return num(m) + " min"
}
