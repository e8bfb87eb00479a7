package client

import (
	"context"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/store"
)

// Follow reads the jobs every `every` until each is SUCCEEDED or FAILED or
// ctx ends, calling progress with how many are final. It returns the items
// as last read (nil: no item yet) and, when ctx ended first, an error
// naming how many are unfinished.
func Follow(ctx context.Context, r store.JobGetter, ids []string, every time.Duration, progress func(final, total int)) ([]*store.Record, error) {
	recs := make([]*store.Record, len(ids))
	for {
		final := 0
		for i, id := range ids {
			if recs[i] == nil || !store.Status(recs[i].Status).Final() {
				rec, err := r.Get(ctx, id)
				if err != nil && ctx.Err() == nil {
					return recs, err
				}
				if rec != nil {
					recs[i] = rec
				}
			}
			if recs[i] != nil && store.Status(recs[i].Status).Final() {
				final++
			}
		}
		if progress != nil {
			progress(final, len(ids))
		}
		if final == len(ids) {
			return recs, nil
		}
		select {
		case <-ctx.Done():
			return recs, fmt.Errorf("%d of %d jobs not finished: %w", len(ids)-final, len(ids), ctx.Err())
		case <-time.After(every):
		}
	}
}

// Summary counts finished jobs by status and FAILED ones by error code.
type Summary struct {
	ByStatus map[string]int
	ByCode   map[string]int
	Missing  int // no item yet
}

// Summarize counts recs.
func Summarize(recs []*store.Record) Summary {
	s := Summary{ByStatus: map[string]int{}, ByCode: map[string]int{}}
	for _, r := range recs {
		switch {
		case r == nil:
			s.Missing++
		default:
			s.ByStatus[string(r.Status)]++
			if r.Error != nil {
				s.ByCode[string(r.Error.Code)]++
			}
		}
	}
	return s
}
