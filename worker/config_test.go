package worker

import (
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/store"
)

// env is a getenv over a map, with the required variables set.
func env(extra map[string]string) func(string) string {
	m := map[string]string{
		"BATCHINFER_MODELS": "/models/iris-rf", "BATCHINFER_RESULTS_TABLE": "t",
		"BATCHINFER_RESULTS_BUCKET": "b", "BATCHINFER_DLQ_URL": "https://sqs/dlq",
	}
	for k, v := range extra {
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.MaxInputBytes != store.DefaultMaxInputBytes, c.MaxReceives != DefaultMaxReceives, c.ResultTTL != DefaultResultTTL,
		c.AWSConcurrency != 0, c.DeadlineMargin != DefaultDeadlineMargin, c.ResultsPrefix != "results/",
		c.ModelCache != "/tmp/batchinfer-models", c.LogLevel != "info", c.MaxRecordFileBytes != DefaultMaxRecordFileBytes,
		c.RecordPartBytes != DefaultRecordPartBytes, c.Claim.All, len(c.Routes) != 0, c.Metrics.Disabled:
		t.Errorf("defaults: %+v", c)
	}
	if got := c.awsConcurrency(100); got != 100 {
		t.Errorf("AWS concurrency for a batch of 100 = %d, want 100 (sized to the batch)", got)
	}
}

func TestLoadConfigReadsEveryVariable(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{
		"ONNXRUNTIME_LIB": "/opt/lib/libonnxruntime.so.1", "BATCHINFER_MODELS": "a, s3://m/b/",
		"BATCHINFER_MODEL_CACHE": "/tmp/m", "BATCHINFER_RESULTS_PREFIX": "out/", "BATCHINFER_QUEUE_URL": "https://sqs/q",
		"BATCHINFER_INPUT_BUCKETS": "in1,in2", "BATCHINFER_MAX_INPUT_BYTES": "1000", "BATCHINFER_MAX_RECEIVES": "7",
		"BATCHINFER_RESULT_TTL": "1h", "BATCHINFER_FETCH_CONCURRENCY": "8", "BATCHINFER_DEADLINE_MARGIN": "3s",
		"BATCHINFER_INTRA_OP_THREADS": "2", "BATCHINFER_MAX_BATCH": "64", "BATCHINFER_LOG_LEVEL": "debug",
		"BATCHINFER_MAX_RECORD_FILE_BYTES": "2048", "BATCHINFER_RECORD_PART_BYTES": "6291456",
		"BATCHINFER_ROUTES": "a/=x, a/b/=y", "BATCHINFER_CLAIM": "always", "BATCHINFER_CLAIM_MODELS": "p",
		"BATCHINFER_NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "BATCHINFER_METRICS": "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.ORTLib != "/opt/lib/libonnxruntime.so.1", len(c.Models) != 2 || c.Models[1] != "s3://m/b/", c.ModelCache != "/tmp/m",
		c.ResultsPrefix != "out/", c.QueueURL != "https://sqs/q", len(c.InputBuckets) != 2, c.MaxInputBytes != 1000,
		c.MaxReceives != 7, c.ResultTTL != time.Hour, c.AWSConcurrency != 8, c.DeadlineMargin != 3*time.Second,
		c.IntraOpThreads != 2, c.MaxBatch != 64, c.LogLevel != "debug", c.MaxRecordFileBytes != 2048,
		c.RecordPartBytes != 6<<20, !c.Claim.All || !c.Claim.Models["p"], c.NotifyTopicARN == "", !c.Metrics.Disabled:
		t.Errorf("config: %+v", c)
	}
	if c.Routes.Model("a/b/c.png") != "y" || c.Routes.Model("a/c.png") != "x" || c.Routes.Model("z.png") != "" {
		t.Errorf("routes %+v: the longest prefix must win", c.Routes)
	}
	if c2, _ := LoadConfig(env(map[string]string{"BATCHINFER_FETCH_CONCURRENCY": "8", "BATCHINFER_AWS_CONCURRENCY": "32"})); c2.AWSConcurrency != 32 {
		t.Errorf("BATCHINFER_AWS_CONCURRENCY %d, want it to win over the deprecated name", c2.AWSConcurrency)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"BATCHINFER_MODELS":                {"BATCHINFER_MODELS": "-"},
		"BATCHINFER_RESULTS_TABLE":         {"BATCHINFER_RESULTS_TABLE": "-"},
		"BATCHINFER_RESULTS_BUCKET":        {"BATCHINFER_RESULTS_BUCKET": "-"},
		"BATCHINFER_DLQ_URL":               {"BATCHINFER_DLQ_URL": "-"},
		"BATCHINFER_MAX_INPUT_BYTES":       {"BATCHINFER_MAX_INPUT_BYTES": "lots"},
		"BATCHINFER_MAX_RECEIVES":          {"BATCHINFER_MAX_RECEIVES": "0"},
		"BATCHINFER_RESULT_TTL":            {"BATCHINFER_RESULT_TTL": "forever"},
		"BATCHINFER_AWS_CONCURRENCY":       {"BATCHINFER_AWS_CONCURRENCY": "-3"},
		"BATCHINFER_FETCH_CONCURRENCY":     {"BATCHINFER_FETCH_CONCURRENCY": "x"},
		"BATCHINFER_DEADLINE_MARGIN":       {"BATCHINFER_DEADLINE_MARGIN": "-1s"},
		"BATCHINFER_INTRA_OP_THREADS":      {"BATCHINFER_INTRA_OP_THREADS": "two"},
		"BATCHINFER_MAX_BATCH":             {"BATCHINFER_MAX_BATCH": "1.5"},
		"BATCHINFER_LOG_LEVEL":             {"BATCHINFER_LOG_LEVEL": "loud"},
		"BATCHINFER_MAX_RECORD_FILE_BYTES": {"BATCHINFER_MAX_RECORD_FILE_BYTES": "0"},
		"BATCHINFER_RECORD_PART_BYTES":     {"BATCHINFER_RECORD_PART_BYTES": "1048576"},
		"BATCHINFER_ROUTES":                {"BATCHINFER_ROUTES": "noequals"},
		"BATCHINFER_CLAIM":                 {"BATCHINFER_CLAIM": "sometimes"},
		"BATCHINFER_METRICS":               {"BATCHINFER_METRICS": "maybe"},
	}
	for name, extra := range cases {
		if _, err := LoadConfig(env(extra)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming %s", name, err, name)
		}
	}
}
