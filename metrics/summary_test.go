package metrics

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestSummarizeAddsUpInvocations(t *testing.T) {
	var log bytes.Buffer
	for i := range 4 {
		inv := NewInvocation(testOptions(ModeLambda))
		if i == 0 {
			inv.ColdStart(50*time.Millisecond, 0, 10*time.Millisecond)
		}
		for range 10 {
			inv.Job("iris-rf", Succeeded)
		}
		inv.Job("iris-rf", Failed)
		inv.Error("wrong_feature_count")
		inv.Job("iris-rf", Retried)
		inv.Retry("throttled")
		inv.Batch("iris-rf", 10, 20, 0)
		inv.QueueAge(float64(10 * (i + 1)))
		if err := inv.Flush(&log, time.Duration(100*(i+1))*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	other := NewInvocation(Options{Namespace: "someone-else", Function: "f"})
	other.Job("x", Succeeded)
	if err := other.Flush(&log, time.Second); err != nil {
		t.Fatal(err)
	}
	docs, err := Parse(&log)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(docs, DefaultNamespace)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"invocations", float64(s.Invocations), 4},
		{"jobs", s.Jobs(), 48},
		{"succeeded", s.Totals["JobsSucceeded"], 40},
		{"per-model succeeded", s.Models["iris-rf"]["JobsSucceeded"], 40},
		{"errors by code", s.Errors["wrong_feature_count"], 4},
		{"no errors for a retried code", s.Errors["throttled"], 0},
		{"retries by code", s.Retries["throttled"], 4},
		{"no retries for a failed code", s.Retries["wrong_feature_count"], 0},
		{"cold starts", s.Totals["ColdStart"], 1},
		{"inferences", s.Inferences(), 40},
		{"queue age p50", s.Percentile("QueueAgeMs", 50), 20},
		{"queue age p99", s.Percentile("QueueAgeMs", 99), 40},
		{"invocation p50", s.Percentile("InvocationMs", 50), 200},
		{"batch fill", s.Mean("BatchFill"), 50},
		// 2 GB x (0.1 + 0.2 + 0.3 + 0.4 s, and the 60 ms init of the first)
		{"GB-s", s.Totals["GBSeconds"], 2 * 1.06},
		{"cost per 1k", s.CostPer1kInferences(), s.Totals["EstimatedCostUSD"] / 40 * 1000},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if all := Summarize(docs, ""); all.Totals["JobsSucceeded"] != 41 {
		t.Errorf("every namespace: %v succeeded, want 41", all.Totals["JobsSucceeded"])
	}
}

func TestPercentile(t *testing.T) {
	cases := []struct {
		values []float64
		p      float64
		want   float64
	}{
		{[]float64{5}, 99, 5},
		{[]float64{3, 1, 2}, 50, 2},
		{[]float64{1, 2, 3, 4}, 50, 2},
		{[]float64{1, 2, 3, 4}, 100, 4},
		{[]float64{1, 2, 3, 4}, 0, 1},
	}
	for _, c := range cases {
		if got := Percentile(c.values, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.values, c.p, got, c.want)
		}
	}
	if !math.IsNaN(Percentile(nil, 50)) || !math.IsNaN((Summary{}).CostPer1kInferences()) {
		t.Error("no values should give NaN")
	}
}
