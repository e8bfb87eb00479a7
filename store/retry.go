package store

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchinfer/batchinfer/jobs"
)

// Retry runs op until it succeeds, fails permanently, or ctx (whose
// deadline is the invocation's, less the safety margin) runs out. Transient
// AWS errors are common at scale (throttling, 5xx); retrying here saves a
// whole SQS round trip of the visibility timeout.
func Retry(ctx context.Context, op func(context.Context) error) error {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(25*time.Millisecond),
		backoff.WithMaxInterval(time.Second),
		backoff.WithMaxElapsedTime(0), // the context's deadline is the cap
	)
	var last error
	err := backoff.Retry(func() error {
		last = op(ctx)
		if last == nil {
			return nil
		}
		if jobs.IsPermanent(last) || errors.Is(last, ErrClaimLost) {
			return backoff.Permanent(last)
		}
		return last
	}, backoff.WithContext(b, ctx))
	if err != nil && ctx.Err() != nil && last != nil && !jobs.IsPermanent(last) {
		return jobs.Wrap(jobs.CodeDeadline, last, "gave up retrying: the invocation is running out of time")
	}
	if err != nil && last != nil {
		return last
	}
	return err
}
