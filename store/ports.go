package store

import "context"

// The two shapes of this package's adapters that several packages use
// (the worker, the API, reprocessing, the operator's commands): declared
// once here, so each is one interface; tests stand in for them.

// Sender sends messages to a queue (Queue).
type Sender interface {
	Send(ctx context.Context, msgs []OutMessage) ([]Sent, error)
}

// JobGetter reads one job's item, nil when it has none (Results).
type JobGetter interface {
	Get(ctx context.Context, jobID string) (*Record, error)
}
