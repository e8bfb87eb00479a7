package store

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/batchinfer/batchinfer/jobs"
)

// callRetryElapsed bounds how long one queue call is retried when the
// caller's context allows longer: long enough to ride out a restarting
// emulator or a throttled burst, short enough that a queue that is gone
// is reported.
const callRetryElapsed = 20 * time.Second

// retryTransient runs call until it succeeds, fails with an error that is
// not worth repeating, ctx ends, or callRetryElapsed has passed, backing
// off exponentially in between. Only throttling, 5xx, timeouts and network
// failures are repeated: the call may not have reached SQS at all (a
// keep-alive connection the server had just dropped), or reached it and
// lost its answer; either way the same call again is safe (deletes and
// visibility changes are idempotent, a repeated receive takes what is
// visible now). The error is call's last.
func retryTransient(ctx context.Context, call func() error) error {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(2*time.Second),
		backoff.WithMaxElapsedTime(callRetryElapsed),
	)
	var last error
	_ = backoff.Retry(func() error {
		last = call()
		if last == nil || !worthRetrying(last) {
			return nil
		}
		return last
	}, backoff.WithContext(b, ctx))
	return last
}

// worthRetrying reports whether a classified error is one a repeat can cure.
func worthRetrying(err error) bool {
	switch jobs.CodeOf(err) {
	case jobs.CodeThrottled, jobs.CodeServiceError, jobs.CodeTimeout, jobs.CodeNetwork:
		return true
	}
	return false
}
