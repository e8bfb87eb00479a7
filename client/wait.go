package client

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/store"
)

// WaitFinal reads the named jobs until each is SUCCEEDED or FAILED,
// every `every`, until ctx ends. It returns the items as last read (nil
// for a job with no item) and, when ctx ended first, an error naming the
// jobs still unfinished.
func WaitFinal(ctx context.Context, r JobReader, ids []string, every time.Duration) ([]*store.Record, error) {
	recs := make([]*store.Record, len(ids))
	for {
		var pending []string
		for i, id := range ids {
			if recs[i] != nil && recs[i].Status.Final() {
				continue
			}
			rec, err := r.Get(ctx, id)
			if err != nil && ctx.Err() == nil {
				return recs, err
			}
			if err == nil {
				recs[i] = rec
			}
			if rec == nil || !rec.Status.Final() {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 {
			return recs, nil
		}
		select {
		case <-ctx.Done():
			return recs, fmt.Errorf("%d of %d jobs not finished (%s): %w", len(pending), len(ids), strings.Join(pending, ", "), ctx.Err())
		case <-time.After(every):
		}
	}
}

// JobReader reads one job's item (nil when absent).
type JobReader interface {
	Get(ctx context.Context, jobID string) (*store.Record, error)
}
