package worker

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

// Config is the worker's whole configuration, read from environment
// variables as Lambda passes it. Validate names the variable at fault.
type Config struct {
	ORTLib        string        // ONNXRUNTIME_LIB: path of libonnxruntime.so
	Models        []string      // BATCHINFER_MODELS: model folders or s3:// prefixes, first is the default
	ModelCache    string        // BATCHINFER_MODEL_CACHE: where s3:// models are downloaded (default /tmp/batchinfer-models)
	ResultsTable  string        // BATCHINFER_RESULTS_TABLE
	ResultsBucket string        // BATCHINFER_RESULTS_BUCKET
	ResultsPrefix string        // BATCHINFER_RESULTS_PREFIX (default "results/")
	DLQURL        string        // BATCHINFER_DLQ_URL
	QueueURL      string        // BATCHINFER_QUEUE_URL: the jobs queue, where a reprocess request requeues jobs (optional: without it such a request fails not_configured)
	InputBuckets  []string      // BATCHINFER_INPUT_BUCKETS: the only buckets inputs may come from
	MaxInputBytes int64         // BATCHINFER_MAX_INPUT_BYTES (default 10 MiB)
	MaxReceives   int           // BATCHINFER_MAX_RECEIVES: the queue's maxReceiveCount (default 5)
	ResultTTL     time.Duration // BATCHINFER_RESULT_TTL: items expire (DynamoDB TTL) this long after completion (default 720h)
	// AWSConcurrency caps the AWS calls an invocation makes at once
	// (BATCHINFER_AWS_CONCURRENCY; BATCHINFER_FETCH_CONCURRENCY is its
	// deprecated name). 0, the default, sizes it to the batch: as many as
	// the invocation has jobs, up to MaxAWSConcurrency.
	AWSConcurrency int
	Routes         Routes      // BATCHINFER_ROUTES: key prefix -> model for S3 inputs that name none
	Claim          ClaimPolicy // BATCHINFER_CLAIM and BATCHINFER_CLAIM_MODELS: which jobs are claimed before work
	// MaxRecordFileBytes caps a record file (BATCHINFER_MAX_RECORD_FILE_BYTES, default 1 GiB).
	MaxRecordFileBytes int64
	// RecordPartBytes is the size of a record file's output parts, each one
	// committed progress (BATCHINFER_RECORD_PART_BYTES, default 8 MiB, at
	// least S3's 5 MiB minimum part).
	RecordPartBytes int
	DeadlineMargin  time.Duration // BATCHINFER_DEADLINE_MARGIN: no new work starts with less time left (default 2s)
	IntraOpThreads  int           // BATCHINFER_INTRA_OP_THREADS: ORT threads per run (default: the CPUs the process may use)
	MaxBatch        int           // BATCHINFER_MAX_BATCH: caps every model's max batch (default: each manifest's)
	LogLevel        string        // BATCHINFER_LOG_LEVEL: debug, info, warn, error (default info)
	// Metrics configures the EMF documents (BATCHINFER_METRICS,
	// BATCHINFER_METRICS_NAMESPACE, prices: metrics.LoadOptions).
	Metrics metrics.Options
	// NotifyTopicARN (BATCHINFER_NOTIFY_TOPIC_ARN) and NotifyEventBus
	// (BATCHINFER_NOTIFY_EVENT_BUS) receive a completion event per job.
	NotifyTopicARN, NotifyEventBus string
	// RetryBase (BATCHINFER_RETRY_BASE, default 10s) and RetryMax
	// (BATCHINFER_RETRY_MAX, default 15m) shape the visibility backoff of
	// a retried message: RetryBase × 2^(receives-1), jittered, capped.
	RetryBase, RetryMax time.Duration
}

// Defaults for the optional variables.
const (
	DefaultMaxInputBytes      = store.DefaultMaxInputBytes
	DefaultMaxReceives        = 5
	DefaultResultTTL          = 30 * 24 * time.Hour
	MaxAWSConcurrency         = 256
	DefaultMaxRecordFileBytes = 1 << 30
	DefaultRecordPartBytes    = 8 << 20
	MinRecordPartBytes        = 5 << 20
	DefaultDeadlineMargin     = 2 * time.Second
	DefaultRetryBase          = 10 * time.Second
	DefaultRetryMax           = 15 * time.Minute
	// MaxVisibility is SQS's longest visibility timeout.
	MaxVisibility = 12 * time.Hour
)

// LoadConfig reads the configuration through getenv (os.Getenv in
// production, a map in tests) and validates it.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		ORTLib:         getenv("ONNXRUNTIME_LIB"),
		Models:         splitList(getenv("BATCHINFER_MODELS")),
		ModelCache:     orDefault(getenv("BATCHINFER_MODEL_CACHE"), "/tmp/batchinfer-models"),
		ResultsTable:   getenv("BATCHINFER_RESULTS_TABLE"),
		ResultsBucket:  getenv("BATCHINFER_RESULTS_BUCKET"),
		ResultsPrefix:  orDefault(getenv("BATCHINFER_RESULTS_PREFIX"), "results/"),
		DLQURL:         getenv("BATCHINFER_DLQ_URL"),
		QueueURL:       getenv("BATCHINFER_QUEUE_URL"),
		InputBuckets:   splitList(getenv("BATCHINFER_INPUT_BUCKETS")),
		LogLevel:       orDefault(getenv("BATCHINFER_LOG_LEVEL"), "info"),
		NotifyTopicARN: strings.TrimSpace(getenv("BATCHINFER_NOTIFY_TOPIC_ARN")),
		NotifyEventBus: strings.TrimSpace(getenv("BATCHINFER_NOTIFY_EVENT_BUS")),
	}
	var err error
	p := parser{getenv: getenv}
	c.MaxInputBytes = p.int64("BATCHINFER_MAX_INPUT_BYTES", DefaultMaxInputBytes, 1)
	c.MaxReceives = int(p.int64("BATCHINFER_MAX_RECEIVES", DefaultMaxReceives, 1))
	c.ResultTTL = p.duration("BATCHINFER_RESULT_TTL", DefaultResultTTL)
	c.AWSConcurrency = int(p.int64("BATCHINFER_FETCH_CONCURRENCY", 0, 0)) // deprecated name
	c.AWSConcurrency = int(p.int64("BATCHINFER_AWS_CONCURRENCY", int64(c.AWSConcurrency), 0))
	c.MaxRecordFileBytes = p.int64("BATCHINFER_MAX_RECORD_FILE_BYTES", DefaultMaxRecordFileBytes, 1)
	c.RecordPartBytes = int(p.int64("BATCHINFER_RECORD_PART_BYTES", DefaultRecordPartBytes, MinRecordPartBytes))
	if p.err == nil {
		c.Routes, p.err = ParseRoutes(getenv("BATCHINFER_ROUTES"))
	}
	if p.err == nil {
		c.Claim, p.err = ParseClaimPolicy(getenv("BATCHINFER_CLAIM"), getenv("BATCHINFER_CLAIM_MODELS"))
	}
	c.DeadlineMargin = p.duration("BATCHINFER_DEADLINE_MARGIN", DefaultDeadlineMargin)
	c.IntraOpThreads = int(p.int64("BATCHINFER_INTRA_OP_THREADS", 0, 0))
	c.MaxBatch = int(p.int64("BATCHINFER_MAX_BATCH", 0, 0))
	c.RetryBase = p.duration("BATCHINFER_RETRY_BASE", DefaultRetryBase)
	c.RetryMax = p.duration("BATCHINFER_RETRY_MAX", DefaultRetryMax)
	if p.err == nil && c.RetryMax > MaxVisibility {
		p.err = fmt.Errorf("BATCHINFER_RETRY_MAX: %s is over SQS's 12h visibility maximum", c.RetryMax)
	}
	if p.err != nil {
		return c, p.err
	}
	if c.Metrics, err = metrics.LoadOptions(getenv); err != nil {
		return c, err
	}
	if err = c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// Validate checks what the worker cannot run without.
func (c Config) Validate() error {
	missing := func(name string) error {
		return fmt.Errorf("%s is not set: the worker needs it (see README, Configuration)", name)
	}
	switch {
	case len(c.Models) == 0:
		return missing("BATCHINFER_MODELS")
	case c.ResultsTable == "":
		return missing("BATCHINFER_RESULTS_TABLE")
	case c.ResultsBucket == "":
		return missing("BATCHINFER_RESULTS_BUCKET")
	case c.DLQURL == "":
		return missing("BATCHINFER_DLQ_URL")
	}
	for _, m := range c.Models {
		if strings.HasPrefix(m, "s3://") && len(strings.TrimPrefix(m, "s3://")) < 1 {
			return fmt.Errorf("BATCHINFER_MODELS: %q is not an s3://bucket/prefix", m)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("BATCHINFER_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	return nil
}

func (c Config) maxRecordFileBytes() int64 {
	if c.MaxRecordFileBytes > 0 {
		return c.MaxRecordFileBytes
	}
	return DefaultMaxRecordFileBytes
}

func (c Config) recordPartBytes() int {
	return max(c.RecordPartBytes, MinRecordPartBytes)
}

// awsConcurrency is how many AWS calls run at once for n jobs.
func (c Config) awsConcurrency(n int) int {
	if c.AWSConcurrency > 0 {
		return c.AWSConcurrency
	}
	return min(max(n, 1), MaxAWSConcurrency)
}

type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) int64(name string, def, min int64) int64 {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" || p.err != nil {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		p.err = fmt.Errorf("%s: %q is not a whole number ≥ %d", name, v, min)
		return def
	}
	return n
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" || p.err != nil {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.err = fmt.Errorf("%s: %q is not a duration such as 2s or 720h", name, v)
		return def
	}
	return d
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
