package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/fakelogs"
	"github.com/batchinfer/batchinfer/metrics"
)

// statsLog writes what a function's log holds: the worker's JSON log lines
// with its EMF documents among them, made by the metrics package itself.
// It returns the log and the figures the test recorded, to compare with.
func statsLog(t *testing.T) ([]byte, map[string]float64) {
	t.Helper()
	var log bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	want := map[string]float64{}
	opts := metrics.Options{Function: "infer", MemoryMB: 1024, Arch: metrics.ArchARM64,
		Now: func() time.Time { return testNow }}
	for i := range 5 {
		logger.Info("invocation", "n", i)
		inv := metrics.NewInvocation(opts)
		if i == 0 {
			inv.ColdStart(80*time.Millisecond, 0, 20*time.Millisecond)
			want["cold"]++
		}
		for j := range 20 {
			switch {
			case j < 2*i:
				inv.Job("iris-rf", metrics.Failed)
				inv.Error([]string{"wrong_feature_count", "input_missing"}[j%2])
				want["failed"]++
				want["code "+[]string{"wrong_feature_count", "input_missing"}[j%2]]++
			default:
				inv.Job("iris-rf", metrics.Succeeded)
				want["succeeded"]++
			}
		}
		if i%2 == 1 {
			inv.Job("iris-rf", metrics.Retried)
			inv.Retry("throttled")
			want["retried"]++
		}
		inv.Batch("iris-rf", 20-2*i, 64, 0)
		want["inferences"] += float64(20 - 2*i)
		inv.QueueAge(float64(100 * (i + 1)))
		if err := inv.Flush(&log, time.Duration(200+i)*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		logger.Info("done", "jobs", 20)
	}
	return log.Bytes(), want
}

func TestStatsTableFromALogFile(t *testing.T) {
	log, want := statsLog(t)
	path := filepath.Join(t.TempDir(), "function.log")
	if err := os.WriteFile(path, log, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"stats", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	table := out.String()
	// The headline row: invocations, cold starts, jobs, succeeded, failed.
	head := fmt.Sprintf("5  %v  %v  %v  %v  %v", want["cold"], want["succeeded"]+want["failed"]+want["retried"], want["succeeded"], want["failed"], want["retried"])
	if !strings.Contains(collapse(table), head) {
		t.Fatalf("the jobs row does not read %q:\n%s", head, table)
	}
	for _, code := range []string{"wrong_feature_count", "input_missing"} {
		if row := fmt.Sprintf("%s  %v  0", code, want["code "+code]); !strings.Contains(collapse(table), row) {
			t.Errorf("no row %q:\n%s", row, table)
		}
	}
	if row := fmt.Sprintf("throttled  0  %v", want["retried"]); !strings.Contains(collapse(table), row) {
		t.Errorf("no row %q:\n%s", row, table)
	}
	// Queue ages 100..500 ms: p50 300, p99 500.
	if !strings.Contains(collapse(table), "queue  age  300.0  500.0") {
		t.Errorf("queue age percentiles wrong:\n%s", table)
	}
	for _, label := range []string{"GB-s", "per 1k inferences USD", "init (cold)", "fill mean"} {
		if !strings.Contains(table, label) {
			t.Errorf("no %q in the table:\n%s", label, table)
		}
	}
}

func TestStatsJSONFromStdinAgreesWithTheLog(t *testing.T) {
	log, want := statsLog(t)
	stdin = bytes.NewReader(log)
	t.Cleanup(func() { stdin = os.Stdin })
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"stats", "--json", "-"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	errs := got["errors"].(map[string]any)
	if got["succeeded"] != want["succeeded"] || got["failed"] != want["failed"] || got["inferences"] != want["inferences"] ||
		errs["input_missing"] != want["code input_missing"] || got["cold_starts"] != want["cold"] {
		t.Fatalf("summary %v, recorded %v", got, want)
	}
	// The cost per 1k inferences is the run's cost over its inferences.
	if c := got["cost_per_1k_inferences_usd"].(float64); c <= 0 || c != got["estimated_cost_usd"].(float64)/want["inferences"]*1000 {
		t.Fatalf("cost per 1k inferences %v", c)
	}
}

func TestStatsErrors(t *testing.T) {
	cases := []struct {
		name string
		log  string
		args []string
		want string
	}{
		{"no documents", `{"level":"INFO","msg":"hello"}`, nil, "no batchinfer metrics documents"},
		{"another namespace", "", []string{"--namespace", "other"}, "no other metrics"},
		{"an invalid document", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}`, nil, "line 1"},
	}
	good, _ := statsLog(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.log)
			if c.log == "" {
				in = good
			}
			stdin = bytes.NewReader(in)
			t.Cleanup(func() { stdin = os.Stdin })
			var out, errb bytes.Buffer
			if code := run(context.Background(), append([]string{"stats"}, c.args...), &out, &errb); code != 1 || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errb.String(), c.want)
			}
		})
	}
}

// collapse squeezes runs of spaces to two, so a test reads a tabwriter
// table without depending on its column widths.
func collapse(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(strings.Join(strings.Fields(line), "  "))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestStatsFromALogGroup(t *testing.T) {
	log, want := statsLog(t)
	srv := fakelogs.Start("/aws/lambda/infer", strings.Split(strings.TrimSpace(string(log)), "\n"), 4)
	defer srv.Close()
	for k, v := range map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL, "BATCHINFER_METRICS_NAMESPACE": ""} {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"stats", "--json", "--log-group", "/aws/lambda/infer", "--since", "2h"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got["succeeded"] != want["succeeded"] || got["failed"] != want["failed"] || got["invocations"] != 5.0 {
		t.Fatalf("summary %v, recorded %v", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) < 2 || reqs[0].FilterPattern != metrics.FilterPattern("batchinfer") ||
		reqs[0].EndTime-reqs[0].StartTime != (2*time.Hour).Milliseconds() {
		t.Fatalf("asked the service %+v", reqs)
	}
	if code := run(context.Background(), []string{"stats", "--log-group", "/aws/lambda/other"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "ResourceNotFoundException") {
		t.Fatalf("a missing group: exit %d, %s", code, errb.String())
	}
}
