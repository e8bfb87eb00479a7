package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Completion notifications: one event per finished job (SUCCEEDED or
// FAILED) to BATCHINFER_NOTIFY_TOPIC_ARN and/or BATCHINFER_NOTIFY_EVENT_BUS.
//
// The protocol, at least once and never failing the job:
//  1. after the job's final write, notifyFinished publishes, retrying
//     inside the invocation for at most notifyBudget;
//  2. if that runs out, the item gets notify_pending = the event's
//     notification_id and notifyFinished returns a transient error: the
//     pipeline leaves the message unacknowledged (batchItemFailures), the
//     item stays as finished;
//  3. the next delivery finds the job done; notifyPending sees the mark,
//     publishes the event rebuilt from the item (same notification_id)
//     and clears the mark. A done job without a mark publishes nothing, so
//     a redelivered duplicate sends nothing new.

// Notifier publishes one completion event (store.Notifier).
type Notifier interface {
	Publish(ctx context.Context, ev jobs.Completion) error
}

// NotifyMarks records on the item that its event is still owed
// (store.Results).
type NotifyMarks interface {
	MarkNotifyPending(ctx context.Context, jobID, notificationID string) (bool, error)
	ClearNotifyPending(ctx context.Context, jobID, notificationID string) (bool, error)
}

// Notifications is the worker's notification side; a nil *Notifications
// publishes nothing.
type Notifications struct {
	Notifier Notifier
	Marks    NotifyMarks
}

// NewNotifications returns nil when n is nil (no target configured), so no
// typed nil hides in the interface. New wires it with store.Open's
// Notifier (built from BATCHINFER_NOTIFY_TOPIC_ARN and
// BATCHINFER_NOTIFY_EVENT_BUS) and the results table for the marks.
func NewNotifications(n *store.Notifier, marks NotifyMarks) *Notifications {
	if n == nil {
		return nil
	}
	return &Notifications{Notifier: n, Marks: marks}
}

// notifyBudget caps the in-invocation retries of one publish: a stuck
// topic must not eat the time the invocation's other jobs need.
const notifyBudget = 3 * time.Second

// markBudget bounds the pending mark's write, which runs even when the
// publish used up the invocation's context.
const markBudget = 2 * time.Second

// CompletionOf is the event of a finished item: its fields, finished_at
// its updated_at, and its notification_id the pending mark's when set
// (the id the first attempt chose), else derived from the outcome.
func CompletionOf(rec *store.Record) jobs.Completion {
	at, _ := time.Parse(time.RFC3339Nano, rec.UpdatedAt) // a stored item's
	return completionAt(rec, at)
}

// completionAt is CompletionOf for an item finished at `at`: the item this
// delivery wrote, whose time is at hand.
func completionAt(rec *store.Record, at time.Time) jobs.Completion {
	ev := jobs.Completion{
		NotificationID: rec.NotifyPending,
		JobID:          rec.JobID, Status: string(rec.Status), Model: rec.Model, ModelVersion: rec.ModelVersion,
		Input: rec.Input, Output: rec.Output, OutputURI: rec.OutputURI, Metadata: rec.Metadata, FinishedAt: at,
	}
	if rec.Error != nil {
		ev.Error = &jobs.EventError{Code: jobs.Code(rec.Error.Code), Message: rec.Error.Message}
	}
	if ev.NotificationID == "" {
		ev.NotificationID = jobs.CompletionID(ev.JobID, ev.Status, ev.FinishedAt)
	}
	return ev
}

// notifyFinished publishes a job's completion once its final write is
// done: call it once per job this delivery finished, e.g.
// w.notifyFinished(ctx, completionAt(&item, t.finishedAt)). A nil error means
// published (or nothing to publish to). An error is transient: the event
// is marked pending on the item and the caller should leave the message
// for SQS to deliver again (the job itself stays finished).
func (w *Worker) notifyFinished(ctx context.Context, ev jobs.Completion) error {
	if w.Notify == nil {
		return nil
	}
	if ev.NotificationID == "" {
		ev.NotificationID = jobs.CompletionID(ev.JobID, ev.Status, ev.FinishedAt)
	}
	err := w.publish(ctx, ev)
	if err == nil {
		return nil
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markBudget)
	defer cancel()
	_, merr := w.Notify.Marks.MarkNotifyPending(mctx, ev.JobID, ev.NotificationID)
	w.logger().Warn("completion not published; marked pending for the next delivery",
		"job_id", ev.JobID, "notification_id", ev.NotificationID, "err", err, "mark_err", merr)
	if merr != nil {
		return jobs.Wrap(jobs.CodeOf(err), err, "publish completion of job %s (and mark it pending: %v)", ev.JobID, merr)
	}
	return jobs.Wrap(jobs.CodeOf(err), err, "publish completion of job %s: marked pending", ev.JobID)
}

// notifyPending publishes the event a previous delivery owed for a job it
// finished (rec as the claim found it, done). Nothing is owed without the
// mark, so a duplicate of a notified job publishes nothing. An error means
// still owed: leave the message for another delivery.
func (w *Worker) notifyPending(ctx context.Context, rec *store.Record) error {
	if w.Notify == nil || rec == nil || rec.NotifyPending == "" || !store.Status(rec.Status).Final() {
		return nil
	}
	ev := CompletionOf(rec)
	if err := w.publish(ctx, ev); err != nil {
		return fmt.Errorf("publish the pending completion of job %s: %w", rec.JobID, err)
	}
	return store.Retry(ctx, func(ctx context.Context) error {
		_, err := w.Notify.Marks.ClearNotifyPending(ctx, rec.JobID, ev.NotificationID)
		return err
	})
}

func (w *Worker) publish(ctx context.Context, ev jobs.Completion) error {
	pctx, cancel := context.WithTimeout(ctx, notifyBudget)
	defer cancel()
	return store.Retry(pctx, func(ctx context.Context) error { return w.Notify.Notifier.Publish(ctx, ev) })
}
