package worker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/metrics"
)

func TestInvocationMetricsAddUp(t *testing.T) {
	f := newFixture(t)
	f.w.coldStart.Store(&ColdStart{ORTInit: 40e6, SessionCreate: 300e6})
	msgs := append(f.irisMessages(12),
		message("bad", inlineJob("bad", "iris-rf", features(1, 2)), 1),
		message("odd", `{"not": "a job"}`, 1))
	f.invoke(f.ctx, msgs...)
	f.invoke(f.ctx, f.irisMessages(3)...) // duplicates: skipped

	docs, err := metrics.Parse(strings.NewReader(f.metricsBuf.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := metrics.Summarize(docs, metrics.DefaultNamespace)
	want := map[string]float64{"JobsSucceeded": 12, "JobsFailed": 2, "JobsSkipped": 3, "JobsRetried": 0, "ColdStart": 1, "BatchSize": 12}
	for name, v := range want {
		if s.Totals[name] != v {
			t.Errorf("%s = %v, want %v (totals %v)", name, s.Totals[name], v, s.Totals)
		}
	}
	if s.Errors["wrong_feature_count"] != 1 || s.Errors["malformed_job"] != 1 || s.Invocations != 2 {
		t.Errorf("errors %v over %d invocations", s.Errors, s.Invocations)
	}
	if len(s.Samples["QueueAgeMs"]) != 17 {
		t.Errorf("%d queue ages, want one per message", len(s.Samples["QueueAgeMs"]))
	}
}

// irisMessages are n inline iris jobs, ids iris-0..n-1.
func (f *fixture) irisMessages(n int) []events.SQSMessage {
	var msgs []events.SQSMessage
	for i := range n {
		id := fmt.Sprintf("iris-%d", i)
		msgs = append(msgs, message("m-"+id, inlineJob(id, "iris-rf", features(5.1, 3.5, 1.4, 0.2+float64(i)/100)), 1))
	}
	return msgs
}

// TestCostPer1kInferencesIrisBelowImages prices the same kind of run the
// demo makes: a tabular row costs far less to infer than a text line.
func TestCostPer1kInferencesIrisBelowImages(t *testing.T) {
	cost := func(msgs func(f *fixture) []events.SQSMessage) float64 {
		f := newFixture(t)
		f.w.Config.Metrics.MemoryMB = 1769
		f.invoke(f.ctx, msgs(f)...)
		docs, err := metrics.Parse(strings.NewReader(f.metricsBuf.String()))
		if err != nil {
			t.Fatal(err)
		}
		return metrics.Summarize(docs, metrics.DefaultNamespace).CostPer1kInferences()
	}
	iris := cost(func(f *fixture) []events.SQSMessage { return f.irisMessages(100) })
	images := cost(func(f *fixture) []events.SQSMessage {
		var msgs []events.SQSMessage
		f.w.Config.Routes = Routes{{Prefix: "lines/", Model: "ppocr-rec"}}
		for i := range 10 {
			key := fmt.Sprintf("lines/%d.png", i)
			f.put(f.spec.InputBucket, key, textimg.PNG(fmt.Sprintf("line %d of ten", i), textimg.Options{}))
			msgs = append(msgs, message("m"+key, s3Notification(f.spec.InputBucket, key, "e"+key), 1))
		}
		return msgs
	})
	if !(iris > 0 && iris < images) {
		t.Fatalf("cost per 1k inferences: iris %g, images %g; want 0 < iris < images", iris, images)
	}
	t.Logf("cost per 1k inferences: iris $%.6f, text lines $%.6f", iris, images)
}
