package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// untilProcessed repeats a batch call (BatchGetItem, BatchWriteItem) with
// what DynamoDB left unprocessed, backing off in between, until nothing is
// left or ctx ends. call sends what is left and returns how much of it is
// left again; what names the work in the error.
func untilProcessed(ctx context.Context, what string, call func() (left int, err error)) error {
	b := backoff.WithContext(backoff.NewExponentialBackOff(backoff.WithInitialInterval(20*time.Millisecond), backoff.WithMaxElapsedTime(0)), ctx)
	for {
		left, err := call()
		if err != nil || left == 0 {
			return err
		}
		d := b.NextBackOff()
		if d == backoff.Stop {
			return Classify(errors.Join(ctx.Err(), fmt.Errorf("%d left unprocessed", left)), what)
		}
		time.Sleep(d)
	}
}
