package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/store"
)

// Visibility is what the poller's holder needs of its queue: changing the
// visibility of the messages it holds. *store.Queue implements it.
type Visibility interface {
	ChangeVisibilityBatch(ctx context.Context, changes []store.VisibilityChange) error
}

// holder keeps the messages the poller has received and not yet deleted
// or handed over, and keeps them hidden while their jobs run: every tick
// it extends, in one ChangeMessageVisibilityBatch per ten, those whose
// visibility has less than half of the visibility timeout left, so a job
// longer than the visibility timeout is never delivered twice. A message
// stops being held (and heartbeated) once it is deleted, scheduled for a
// retry, or handed back.
type holder struct {
	q          Visibility
	visibility time.Duration // each extension hides a message this long from now
	log        *slog.Logger

	mu   sync.Mutex // held across an extension's call, so a forget waits for it
	held map[string]heldMessage
}

type heldMessage struct {
	id    string
	until time.Time // when the message becomes visible again
}

func newHolder(q Visibility, visibility time.Duration, log *slog.Logger) *holder {
	return &holder{q: q, visibility: visibility, log: log, held: map[string]heldMessage{}}
}

// heartbeatEvery is the tick: a quarter of the visibility timeout, so a
// message is extended once or twice per timeout, never at its last moment.
func (h *holder) heartbeatEvery() time.Duration { return max(h.visibility/4, 500*time.Millisecond) }

// hold starts holding recs, received at at (their visibility runs from no
// earlier than that).
func (h *holder) hold(recs []events.SQSMessage, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range recs {
		h.held[r.ReceiptHandle] = heldMessage{id: r.MessageId, until: at.Add(h.visibility)}
	}
}

// forget stops holding the messages with these receipt handles and
// reports which of them were still held (not handed back meanwhile). It
// waits for an extension in flight, so no extension lands after the
// caller's own change (a retry's backoff, a delete).
func (h *holder) forget(handles ...string) map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	still := make(map[string]bool, len(handles))
	for _, rh := range handles {
		if _, ok := h.held[rh]; ok {
			still[rh] = true
			delete(h.held, rh)
		}
	}
	return still
}

// heartbeat extends the held messages every tick until ctx ends.
func (h *holder) heartbeat(ctx context.Context) {
	t := time.NewTicker(h.heartbeatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.extend(ctx)
		}
	}
}

// extend hides again, for a whole visibility timeout, every held message
// with less than half of one left. Messages SQS refuses (a receipt handle
// no longer valid) are no longer held.
func (h *holder) extend(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	var changes []store.VisibilityChange
	for rh, m := range h.held {
		if m.until.Sub(now) < h.visibility/2 {
			changes = append(changes, store.VisibilityChange{ReceiptHandle: rh, MessageID: m.id, Timeout: h.visibility})
		}
	}
	if len(changes) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, h.heartbeatEvery())
	defer cancel()
	err := h.q.ChangeVisibilityBatch(cctx, changes)
	failed := map[int]bool{}
	var be *store.BatchError
	if errors.As(err, &be) {
		for _, i := range be.Failed {
			failed[i] = true
		}
	}
	for i, c := range changes {
		if !failed[i] {
			h.held[c.ReceiptHandle] = heldMessage{id: c.MessageID, until: now.Add(h.visibility)}
		}
	}
	if err != nil {
		h.log.Warn("visibility heartbeat failed for some messages; they may be delivered again", "messages", len(changes), "failed", len(failed), "err", err)
	}
}

// handBack makes every held message visible again at once and stops
// holding it: on shutdown, what was not finished in time goes back to the
// queue for the next poller instead of waiting out its visibility timeout.
func (h *holder) handBack(ctx context.Context) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.held) == 0 {
		return 0
	}
	changes := make([]store.VisibilityChange, 0, len(h.held))
	for rh, m := range h.held {
		changes = append(changes, store.VisibilityChange{ReceiptHandle: rh, MessageID: m.id})
	}
	clear(h.held)
	err := h.q.ChangeVisibilityBatch(ctx, changes)
	n := len(changes)
	var be *store.BatchError
	if errors.As(err, &be) {
		n -= len(be.Failed)
	}
	if err != nil {
		h.log.Warn("could not hand back every message; the rest come back after their visibility timeout", "messages", len(changes), "err", err)
	}
	return n
}
