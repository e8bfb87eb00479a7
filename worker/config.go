package worker

import (
	"fmt"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/vectors"
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
	FeatureTables []string      // BATCHINFER_FEATURE_TABLES: model=table overrides (features.ParseTables)
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
	// ReuseModels reuse results as if their manifests said "reuse": true
	// (BATCHINFER_REUSE_MODELS; reuse.go).
	ReuseModels []string
	// MaxRecordFileBytes caps a record file (BATCHINFER_MAX_RECORD_FILE_BYTES, default 1 GiB).
	MaxRecordFileBytes int64
	// RecordPartBytes is the size of a record file's output parts, each one
	// committed progress (BATCHINFER_RECORD_PART_BYTES, default 8 MiB, at
	// least S3's 5 MiB minimum part).
	RecordPartBytes int
	// Vectors is the side output of an embedding model's record files
	// (BATCHINFER_VECTORS: parquet, npy or off; "" is parquet; a
	// manifest's vectors wins); JSONLWithoutVectors leaves the embeddings
	// out of the JSONL lines then (BATCHINFER_VECTORS_JSONL=off).
	Vectors             string
	JSONLWithoutVectors bool
	DeadlineMargin      time.Duration // BATCHINFER_DEADLINE_MARGIN: no new work starts with less time left (default 2s)
	IntraOpThreads      int           // BATCHINFER_INTRA_OP_THREADS: ORT threads per run (default: the CPUs the process may use)
	MaxBatch            int           // BATCHINFER_MAX_BATCH: caps every model's max batch (default: each manifest's)
	LogLevel            string        // BATCHINFER_LOG_LEVEL: debug, info, warn, error (default info)
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
	e := settings.From(getenv)
	c := Config{
		ORTLib:              getenv("ONNXRUNTIME_LIB"),
		Models:              e.List(settings.Models),
		ModelCache:          e.Text(settings.ModelCache),
		ResultsTable:        e.Text(settings.ResultsTable),
		ResultsBucket:       e.Text(settings.ResultsBucket),
		ResultsPrefix:       e.Text(settings.ResultsPrefix),
		DLQURL:              e.Text(settings.DLQURL),
		QueueURL:            e.Text(settings.QueueURL),
		InputBuckets:        e.List(settings.InputBuckets),
		FeatureTables:       e.List(settings.FeatureTables),
		ReuseModels:         e.List(settings.ReuseModels),
		LogLevel:            e.Text(settings.LogLevel),
		NotifyTopicARN:      e.Text(settings.NotifyTopicARN),
		NotifyEventBus:      e.Text(settings.NotifyEventBus),
		MaxInputBytes:       e.Int(settings.MaxInputBytes, 1),
		MaxReceives:         int(e.Int(settings.MaxReceives, 1)),
		ResultTTL:           e.Duration(settings.ResultTTL),
		AWSConcurrency:      int(e.Int(settings.AWSConcurrency, 0)),
		MaxRecordFileBytes:  e.Int(settings.MaxRecordFileBytes, 1),
		RecordPartBytes:     int(e.Int(settings.RecordPartBytes, MinRecordPartBytes)),
		Vectors:             e.Text(settings.Vectors),
		JSONLWithoutVectors: !e.Switch(settings.VectorsJSONL),
		DeadlineMargin:      e.Duration(settings.DeadlineMargin),
		IntraOpThreads:      int(e.Int(settings.IntraOpThreads, 0)),
		MaxBatch:            int(e.Int(settings.MaxBatch, 0)),
		RetryBase:           e.Duration(settings.RetryBase),
		RetryMax:            e.Duration(settings.RetryMax),
	}
	if e.Err() == nil {
		var err error
		if c.Routes, err = ParseRoutes(e.Text(settings.Routes)); err != nil {
			e.Fail(settings.Routes, "%v", err)
		}
	}
	if e.Err() == nil {
		var err error
		if c.Claim, err = ParseClaimPolicy(e.Text(settings.Claim), e.List(settings.ClaimModels)); err != nil {
			e.Fail(settings.Claim, "%v", err)
		}
	}
	if e.Err() == nil && c.Vectors != "off" {
		if _, err := vectors.ParseFormat(c.Vectors); err != nil {
			e.Fail(settings.Vectors, "%v (or off)", err)
		}
	}
	if e.Err() == nil && c.RetryMax > MaxVisibility {
		e.Fail(settings.RetryMax, "%s is over SQS's 12h visibility maximum", c.RetryMax)
	}
	if err := e.Err(); err != nil {
		return c, err
	}
	var err error
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
	missing := func(v *settings.Var) error {
		return fmt.Errorf("%s is not set: the worker needs it (see README, Configuration)", v.Name)
	}
	switch {
	case len(c.Models) == 0:
		return missing(settings.Models)
	case c.ResultsTable == "":
		return missing(settings.ResultsTable)
	case c.ResultsBucket == "":
		return missing(settings.ResultsBucket)
	case c.DLQURL == "":
		return missing(settings.DLQURL)
	}
	for _, m := range c.Models {
		if strings.HasPrefix(m, "s3://") && len(strings.TrimPrefix(m, "s3://")) < 1 {
			return fmt.Errorf("%s: %q is not an s3://bucket/prefix", settings.Models.Name, m)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%s: %q is not one of debug, info, warn, error", settings.LogLevel.Name, c.LogLevel)
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
