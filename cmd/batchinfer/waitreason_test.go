package main

import (
	"context"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/store"
)

func TestWaitReason(t *testing.T) {
	now := time.Date(2026, 12, 6, 18, 0, 0, 0, time.Local)
	lease := now.Add(90 * time.Second)
	tests := []struct {
		name string
		last map[string]*store.Record
		want string
	}{
		{"all final", map[string]*store.Record{"a": {Status: store.StatusSucceeded}, "b": {Status: store.StatusFailed}}, ""},
		{"nothing started", map[string]*store.Record{}, "waiting on 2 of 2: 2 not started"},
		{"claimed and queued", map[string]*store.Record{"a": {Status: store.StatusInProgress, LeaseExpiresAt: lease.UnixMilli()}},
			"waiting on 2 of 2: 1 IN_PROGRESS (claimed until 18:01:30), 1 not started"},
		{"in progress without a lease", map[string]*store.Record{"a": {Status: store.StatusInProgress}, "b": {Status: store.StatusSucceeded}},
			"waiting on 1 of 2: 1 IN_PROGRESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWaitWatch(nil, nil)
			w.now, w.last = func() time.Time { return now }, tt.last
			if got := w.reason(context.Background(), []string{"a", "b"}); got != tt.want {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
		})
	}
}
