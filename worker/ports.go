package worker

import (
	"context"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// The worker's boundaries, defined here where they are used; package store
// has the AWS adapters, and tests wrap them to inject faults.

// Results is the job table: claims for idempotency and final outcomes.
type Results interface {
	Claim(ctx context.Context, rec store.Record, lease time.Duration) (store.ClaimResult, error)
	Complete(ctx context.Context, rec store.Record) error
}

// Inputs reads job inputs from S3.
type Inputs interface {
	Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error)
}

// Outputs writes a job's full output and returns its URI.
type Outputs interface {
	Put(ctx context.Context, jobID string, body []byte) (uri string, err error)
}

// DeadLetters receives permanently failed messages.
type DeadLetters interface {
	Send(ctx context.Context, dl store.DeadLetter) error
}
