package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
)

func TestRetry(t *testing.T) {
	transient := jobs.Errorf(jobs.CodeThrottled, "slow down")
	cases := []struct {
		name     string
		fails    int32 // transient failures before success
		err      error // then this (nil: success)
		timeout  time.Duration
		wantCode jobs.Code // "" = success
		maxCalls int32
	}{
		{"succeeds after transient failures", 3, nil, 5 * time.Second, "", 4},
		{"a permanent error stops at once", 0, jobs.Errorf(jobs.CodeInputMissing, "gone"), 5 * time.Second, jobs.CodeInputMissing, 1},
		{"a lost claim stops at once", 0, ErrClaimLost, 5 * time.Second, jobs.CodeInternal, 1},
		{"the deadline turns a transient failure into deadline", 1 << 20, nil, 300 * time.Millisecond, jobs.CodeDeadline, 1 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			var calls atomic.Int32
			err := Retry(ctx, func(context.Context) error {
				if calls.Add(1) <= tc.fails {
					return transient
				}
				return tc.err
			})
			if (err == nil) != (tc.wantCode == "") || (err != nil && jobs.CodeOf(err) != tc.wantCode) {
				t.Fatalf("Retry = %v (code %s), want code %q", err, jobs.CodeOf(err), tc.wantCode)
			}
			if tc.err == ErrClaimLost && !errors.Is(err, ErrClaimLost) {
				t.Errorf("the lost claim is not passed on: %v", err)
			}
			if calls.Load() > tc.maxCalls {
				t.Errorf("%d calls, want at most %d", calls.Load(), tc.maxCalls)
			}
		})
	}
}
