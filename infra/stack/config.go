// Package stack defines the batchinfer AWS CDK stack: the inbox and results
// buckets, the jobs queue and its dead-letter queue, the worker function (a
// container image or a zip with an ONNX Runtime layer), the results table,
// the reprocessing schedule, alarms and a dashboard.
package stack

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Variant selects how the worker function is packaged.
type Variant string

const (
	// VariantImage builds the repository's Dockerfile as a container image asset.
	VariantImage Variant = "image"
	// VariantZip deploys a provided.al2023 bootstrap zip plus an ONNX Runtime layer.
	VariantZip Variant = "zip"
)

// Architectures the function can run on (Lambda's own names).
const (
	ArchARM64  = "arm64"
	ArchX86_64 = "x86_64"
)

// ORTLibPath is where both variants put the ONNX Runtime library: a layer
// unpacks under /opt, and /opt/lib is on Lambda's default library path.
const ORTLibPath = "/opt/lib/libonnxruntime.so.1"

// ModelsRoot is where bundled models live in the image and in the models layer.
const ModelsRoot = "/opt/models"

// VisibilityFactor is AWS's rule for SQS event sources: the queue's
// visibility timeout must be at least six times the function timeout (plus
// the batching window), or messages reappear while a retry is still running.
const VisibilityFactor = 6

// Config is everything the stack can be told, from CDK context or props.
// Zero values are filled by Defaults; Validate reports the first problem by
// the context key that sets it.
type Config struct {
	Variant      Variant // context "variant": image (default) or zip
	Architecture string  // context "architecture": x86_64 (default) or arm64

	MemoryMiB           int // "memoryMiB": 1769 MiB is one full vCPU
	TimeoutSeconds      int // "timeoutSeconds": per invocation, ≤ 900
	ReservedConcurrency int // "reservedConcurrency": 0 leaves it unreserved

	BatchSize                int // "batchSize": records per invocation (1..10000)
	MaxBatchingWindowSeconds int // "maxBatchingWindowSeconds": 0..300
	MaxConcurrency           int // "maxConcurrency": event source cap, 2..1000

	// VisibilityTimeoutSeconds ("visibilityTimeoutSeconds") defaults to
	// 6 × timeout + batching window; a smaller value fails synthesis.
	VisibilityTimeoutSeconds int
	MaxReceiveCount          int // "maxReceiveCount": deliveries before redrive to the DLQ
	// FIFO ("fifo") makes the jobs queue and DLQ FIFO queues (content-based
	// deduplication off) and the event source takes no batching window;
	// batches are then at most 10 records, and the inbox is not wired (S3
	// cannot notify a FIFO queue). See fifo.go.
	FIFO bool

	InboxPrefix string // "inboxPrefix": object-created filter on the inbox
	InboxSuffix string // "inboxSuffix"

	// Models ("models", comma-separated): bundled model names (folders
	// under /opt/models) or s3://bucket/prefix URIs; the first is the default.
	Models        []string
	MaxInputBytes int64 // "maxInputBytes": BATCHINFER_MAX_INPUT_BYTES

	// Routes ("routes") is BATCHINFER_ROUTES, "prefix=model,..." (batchops.go).
	Routes string

	ResultsExpireDays         int // "resultsExpireDays": results bucket lifecycle and item TTL hint
	OldestMessageAlarmSeconds int // "oldestMessageAlarmSeconds": age-of-oldest-message alarm threshold

	ReprocessSchedule string // "reprocessSchedule": EventBridge Scheduler expression
	ReprocessEnabled  bool   // "reprocessEnabled": the schedule is created disabled unless true
	ReprocessWindow   string // "reprocessWindow": how far back a run looks, e.g. 24h

	// RepoDir ("repoDir") is the Docker build context holding the Dockerfile.
	RepoDir string
	// BundleDir ("bundleDir") holds the zip variant's prepared assets:
	// function/bootstrap, ort-layer/lib/libonnxruntime.so.1 and
	// models-layer/models/<name>/ (written by `go tool task bundle`).
	BundleDir string

	API APIConfig // the REST API's usage plan (api.go)
	// Predict sizes the predict function (predict.go).
	Predict PredictConfig
	// State is what the models read while they run: feature tables and
	// result reuse (state.go).
	State StateConfig

	// ESMMinPollers and ESMMaxPollers ("esmMinPollers", "esmMaxPollers")
	// put the SQS event source in provisioned mode when either is set
	// (minimum 2..200, maximum 2..2,000): it then scales by up to 1,000
	// concurrent invocations a minute to 20,000 instead of 300 a minute to
	// 1,250 (docs/scale.md). ESMMetrics ("esmMetrics": on, off; on by
	// default in provisioned mode) turns on the event source's own metrics.
	ESMMinPollers int
	ESMMaxPollers int
	ESMMetrics    string

	Poller PollerConfig // the ECS poller instead of the event source (poller.go)

	// LegacyStatusIndex ("legacyStatusIndex") keeps the old
	// status-updated_at index beside the sharded one: the first step of a
	// deployed stack's move (docs/deploy.md, "The status index").
	LegacyStatusIndex bool

	// WarmWritesPerSecond ("warmWritesPerSecond") pre-warms the table and
	// its status index to take that many write units a second at once: a
	// new on-demand table starts at 4,000 and doubles at most every 30
	// minutes (docs/scale.md: the first hour of a launch at 10,000 jobs/s).
	// 0 leaves them cold. Warming is billed once per change.
	WarmWritesPerSecond int
}

// Defaults returns c with every unset field given its default.
func (c Config) Defaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Variant == "" {
		c.Variant = VariantImage
	}
	if c.Architecture == "" {
		// x86_64 by default: ORT on arm64 Lambda has aborted reading
		// /sys/devices/system/cpu/possible (onnxruntime #10038); test before switching.
		c.Architecture = ArchX86_64
	}
	def(&c.MemoryMiB, 1769)
	def(&c.TimeoutSeconds, 120)
	if c.FIFO {
		def(&c.BatchSize, 10)
	} else {
		def(&c.BatchSize, 100)
		def(&c.MaxBatchingWindowSeconds, 5)
	}
	if !c.Provisioned() { // provisioned mode has no maximum concurrency: its pollers cap it
		def(&c.MaxConcurrency, 10)
	}
	def(&c.MaxReceiveCount, 5)
	def(&c.ResultsExpireDays, 30)
	def(&c.OldestMessageAlarmSeconds, 900)
	def(&c.VisibilityTimeoutSeconds, VisibilityFactor*c.TimeoutSeconds+c.MaxBatchingWindowSeconds)
	if c.MaxInputBytes == 0 {
		c.MaxInputBytes = 10 << 20
	}
	if len(c.Models) == 0 {
		c.Models = []string{"ppocr-rec", "ppocr-cls", "iris-rf"}
	}
	if c.ReprocessSchedule == "" {
		c.ReprocessSchedule = "rate(1 day)"
	}
	if c.ReprocessWindow == "" {
		c.ReprocessWindow = "24h"
	}
	if c.RepoDir == "" {
		c.RepoDir = ".."
	}
	if c.BundleDir == "" {
		c.BundleDir = filepath.Join(c.RepoDir, ".cache", "lambda")
	}
	c.API = c.API.defaults()
	c.Predict = c.Predict.defaults()
	if c.Provisioned() {
		def(&c.ESMMinPollers, 2)
		def(&c.ESMMaxPollers, max(200, c.ESMMinPollers))
	}
	if c.ESMMetrics == "" {
		c.ESMMetrics = "off"
		if c.Provisioned() {
			c.ESMMetrics = "on"
		}
	}
	c.Poller = c.Poller.defaults(c.Architecture)
	return c
}

// Provisioned reports whether the event source runs in provisioned mode.
func (c Config) Provisioned() bool { return c.ESMMinPollers > 0 || c.ESMMaxPollers > 0 }

// Validate checks the limits AWS enforces at deploy time, so a bad value
// fails synthesis with the context key that set it instead of a rollback.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %q: %s", key, fmt.Sprintf(format, args...)))
	}
	c.validateFunction(bad)
	c.validateEventSource(bad)
	c.validateStorage(bad)
	c.validateModels(bad)
	if err := validateRoutes(c.Routes); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.API.validate(), c.Poller.validate(c.Architecture))
	return errors.Join(errs...)
}

// complaint records one bad context value: its key and what is wrong.
type complaint func(key, format string, args ...any)

// validateFunction checks the Lambda function's own settings.
func (c Config) validateFunction(bad complaint) {
	if c.Variant != VariantImage && c.Variant != VariantZip {
		bad("variant", "%q is not image or zip", c.Variant)
	}
	if c.Architecture != ArchARM64 && c.Architecture != ArchX86_64 {
		bad("architecture", "%q is not arm64 or x86_64", c.Architecture)
	}
	if c.MemoryMiB < 128 || c.MemoryMiB > 10240 {
		bad("memoryMiB", "%d is outside Lambda's 128..10240", c.MemoryMiB)
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 900 {
		bad("timeoutSeconds", "%d is outside Lambda's 1..900", c.TimeoutSeconds)
	}
	if c.ReservedConcurrency < 0 {
		bad("reservedConcurrency", "%d is negative", c.ReservedConcurrency)
	}
}

// validateEventSource checks the SQS event source mapping: batching,
// concurrency and provisioned mode, as the Lambda API refuses them.
func (c Config) validateEventSource(bad complaint) {
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		bad("batchSize", "%d is outside 1..10000", c.BatchSize)
	}
	if c.MaxBatchingWindowSeconds < 0 || c.MaxBatchingWindowSeconds > 300 {
		bad("maxBatchingWindowSeconds", "%d is outside 0..300", c.MaxBatchingWindowSeconds)
	}
	if c.FIFO && c.MaxBatchingWindowSeconds != 0 {
		bad("maxBatchingWindowSeconds", "%d: a FIFO queue's event source takes no batching window", c.MaxBatchingWindowSeconds)
	}
	if c.FIFO && c.BatchSize > 10 {
		bad("batchSize", "%d: a FIFO queue's batches are at most 10 records", c.BatchSize)
	}
	if c.BatchSize > 10 && c.MaxBatchingWindowSeconds < 1 && !c.FIFO {
		bad("maxBatchingWindowSeconds", "batch size %d > 10 needs a batching window of at least 1 s", c.BatchSize)
	}
	if c.Provisioned() && c.MaxConcurrency != 0 {
		bad("maxConcurrency", "%d: an event source in provisioned mode (esmMinPollers, esmMaxPollers) takes no maximum concurrency; its pollers cap it (10 invocations each)", c.MaxConcurrency)
	} else if !c.Provisioned() && (c.MaxConcurrency < 2 || c.MaxConcurrency > 1000) {
		bad("maxConcurrency", "%d is outside the event source's 2..1000", c.MaxConcurrency)
	}
	if c.ReservedConcurrency > 0 && c.MaxConcurrency > c.ReservedConcurrency {
		bad("maxConcurrency", "%d exceeds reservedConcurrency %d: the extra pollers would only be throttled", c.MaxConcurrency, c.ReservedConcurrency)
	}
	if c.Provisioned() {
		if c.ESMMinPollers < 2 || c.ESMMinPollers > 200 {
			bad("esmMinPollers", "%d is outside the event source's 2..200", c.ESMMinPollers)
		}
		if c.ESMMaxPollers < 2 || c.ESMMaxPollers > 2000 {
			bad("esmMaxPollers", "%d is outside the event source's 2..2000", c.ESMMaxPollers)
		}
		if c.ESMMaxPollers < c.ESMMinPollers {
			bad("esmMaxPollers", "%d is under esmMinPollers %d", c.ESMMaxPollers, c.ESMMinPollers)
		}
	}
	if c.ESMMetrics != "on" && c.ESMMetrics != "off" {
		bad("esmMetrics", "%q is not on or off", c.ESMMetrics)
	}
}

// validateStorage checks the queue, the results table and the alarms
// that watch them.
func (c Config) validateStorage(bad complaint) {
	if min := VisibilityFactor*c.TimeoutSeconds + c.MaxBatchingWindowSeconds; c.VisibilityTimeoutSeconds < min {
		bad("visibilityTimeoutSeconds", "%d s is less than %d × function timeout %d s + batching window %d s = %d s; AWS requires it so a message is not redelivered while its invocation may still be running",
			c.VisibilityTimeoutSeconds, VisibilityFactor, c.TimeoutSeconds, c.MaxBatchingWindowSeconds, min)
	}
	if c.VisibilityTimeoutSeconds > 43200 {
		bad("visibilityTimeoutSeconds", "%d s exceeds SQS's 12 hours", c.VisibilityTimeoutSeconds)
	}
	if c.MaxReceiveCount < 1 || c.MaxReceiveCount > 1000 {
		bad("maxReceiveCount", "%d is outside 1..1000", c.MaxReceiveCount)
	}
	if c.MaxInputBytes < 1 {
		bad("maxInputBytes", "%d must be positive", c.MaxInputBytes)
	}
	if c.ResultsExpireDays < 1 {
		bad("resultsExpireDays", "%d must be at least 1", c.ResultsExpireDays)
	}
	if c.OldestMessageAlarmSeconds < 60 {
		bad("oldestMessageAlarmSeconds", "%d is under a minute", c.OldestMessageAlarmSeconds)
	}
	if c.WarmWritesPerSecond != 0 && (c.WarmWritesPerSecond < 4000 || c.WarmWritesPerSecond > 40000) {
		bad("warmWritesPerSecond", "%d is outside 4000 (a new table's own) ..40000 (the default on-demand table quota)", c.WarmWritesPerSecond)
	}
	if !strings.HasPrefix(c.ReprocessSchedule, "rate(") && !strings.HasPrefix(c.ReprocessSchedule, "cron(") && !strings.HasPrefix(c.ReprocessSchedule, "at(") {
		bad("reprocessSchedule", "%q is not a rate(...), cron(...) or at(...) expression", c.ReprocessSchedule)
	}
}

// validateModels checks that each model is a bundled name or an S3 URI.
func (c Config) validateModels(bad complaint) {
	for _, m := range c.Models {
		if _, _, err := ParseS3URI(m); strings.HasPrefix(m, "s3://") && err != nil {
			bad("models", "%v", err)
		} else if !strings.HasPrefix(m, "s3://") && (m == "" || strings.ContainsAny(m, "/\\ ") || m == "." || m == "..") {
			bad("models", "%q is neither a bundled model name nor an s3:// URI", m)
		}
	}
}

// BundledModels returns the model names to ship inside the artifact.
func (c Config) BundledModels() []string {
	var out []string
	for _, m := range c.Models {
		if !strings.HasPrefix(m, "s3://") {
			out = append(out, m)
		}
	}
	return out
}

// ModelsEnv is BATCHINFER_MODELS: bundled names become /opt/models paths,
// S3 URIs pass through, order kept (the first is the default model).
func (c Config) ModelsEnv() string {
	out := make([]string, len(c.Models))
	for i, m := range c.Models {
		if strings.HasPrefix(m, "s3://") {
			out[i] = m
		} else {
			out[i] = ModelsRoot + "/" + m
		}
	}
	return strings.Join(out, ",")
}

// ParseS3URI splits s3://bucket/prefix; the prefix may be empty.
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" || strings.ContainsAny(bucket, "*?") || strings.ContainsAny(prefix, "*?") {
		return "", "", fmt.Errorf("%q needs a bucket and no wildcards", uri)
	}
	return bucket, prefix, nil
}
