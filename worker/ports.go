package worker

import (
	"context"
	"io"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// The worker's boundaries, defined here where they are used; package store
// has the AWS adapters, and tests wrap them to inject faults.

// Results is the job table: finished-job lookups, claims for idempotency
// and final outcomes (docs/idempotency.md).
type Results interface {
	Lookup(ctx context.Context, ids []string) (map[string]*store.Record, error)
	Put(ctx context.Context, rec store.Record, since time.Time) (store.PutResult, error)
	Claim(ctx context.Context, rec store.Record, lease time.Duration) (store.ClaimResult, error)
	Complete(ctx context.Context, rec store.Record) error
	// PutReuse writes reuse entries (store.ReuseKey), 25 to a call.
	PutReuse(ctx context.Context, entries []store.Record) error
	SaveProgress(ctx context.Context, rec store.Record, leaseUntil time.Time) error
	// Reset makes a FAILED job runnable again for a redriven message.
	Reset(ctx context.Context, jobID string, expect store.Status) error
}

// Inputs reads job inputs from S3: whole objects for single jobs, a stream
// from an offset for record files.
type Inputs interface {
	Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error)
	Open(ctx context.Context, obj jobs.S3Object, offset int64) (body io.ReadCloser, size int64, err error)
}

// Outputs writes outputs too large for the item, and record files' JSONL
// outputs (one PUT, or a multipart upload when the file spans parts or
// invocations).
type Outputs interface {
	Put(ctx context.Context, jobID string, body []byte) (uri string, err error)
	RecordKey(jobID string) string
	URI(key string) string
	PutKey(ctx context.Context, key string, body []byte, contentType string) error
	GetKey(ctx context.Context, key string) ([]byte, error)
	DeleteKey(ctx context.Context, key string) error
	CreateUpload(ctx context.Context, key, contentType string) (uploadID string, err error)
	UploadPart(ctx context.Context, key, uploadID string, n int32, body []byte) (etag string, err error)
	CompleteUpload(ctx context.Context, key, uploadID string, parts []store.Part) error
}

// Predictor is the inference core as the pipeline uses it: Engine, or a
// stand-in in tests that exercise the pipeline's states without ONNX
// Runtime.
type Predictor interface {
	// Model resolves a job's model name ("" is the default).
	Model(name string) (*model.Model, error)
	// Models lists the served models, default first.
	Models() []*model.Model
	// Predict runs items, one Prediction per item in order.
	Predict(ctx context.Context, items []engine.Item) []engine.Prediction
	// PackRows is how many rows of m fill a tensor run.
	PackRows(m *model.Model) int
}

// DeadLetters receives permanently failed messages, ten to a call.
type DeadLetters interface {
	SendBatch(ctx context.Context, dls []store.DeadLetter) []error
}

// Redeliveries delays the messages an invocation hands back to their
// source queue (named by the records' eventSourceARN), so a transient
// failure comes back after a backoff instead of the whole visibility
// timeout.
type Redeliveries interface {
	ChangeVisibility(ctx context.Context, queueARN string, changes []store.VisibilityChange) error
}
