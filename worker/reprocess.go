package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// reprocessTask handles a reprocess request (the scheduled reprocessing's
// queue message): it runs the Reprocessor now and returns a task already in
// its final state, which the later stages only report. Acknowledged when
// the selection ran; retried when the listing or a job met a transient
// error (a rerun selects only what is still in the requested status, so
// requeued jobs are not requeued twice); dead-lettered when the request
// cannot be served (no BATCHINFER_QUEUE_URL, a permanent listing error).
func (w *Worker) reprocessTask(ctx context.Context, m *jobs.Message) *task {
	id := m.MessageID
	if id == "" {
		id = "reprocess" // a DLQ entry needs a job_id attribute
	}
	t := w.startTask(m, jobs.Job{ID: id}) // no token: it has no item to write
	if w.Reprocessor == nil {
		t.failWith(jobs.Errorf(jobs.CodeNotConfigured,
			"a reprocess request needs the jobs queue to requeue jobs on: set %s on the worker", settings.QueueURL.Name))
		return t
	}
	req := m.Reprocess
	fallback := m.SentAt // a redelivery then selects the same window
	if fallback.IsZero() {
		fallback = w.now()
	}
	opt := reprocess.Options{
		Status: store.Status(req.Status), Since: req.From(fallback), Code: req.Code,
		ModelVersionNot: req.ModelVersionNot, Limit: req.Limit,
		RunID: m.MessageID, // a redelivery (deadline, crash) continues the run
	}
	t0 := w.now()
	done, err := w.Reprocessor.Run(ctx, opt)
	t.time("reprocess", t0)
	if err != nil {
		t.fail(err)
		return t
	}
	counts := map[string]int{}
	var transient []error
	for _, r := range done {
		counts[r.Action]++
		if r.Action != reprocess.ActionError {
			continue
		}
		w.logger().Warn("reprocess: job not requeued", "job_id", r.JobID, "input", r.Input,
			"error_code", string(jobs.CodeOf(r.Err)), "reason", r.Reason, "message_id", m.MessageID)
		if !jobs.IsPermanent(r.Err) {
			transient = append(transient, fmt.Errorf("job %s: %w", r.JobID, r.Err))
		}
	}
	w.logger().Info("reprocess", "message_id", m.MessageID, "status", req.Status,
		"since", opt.Since, "code", req.Code, "model_version_not", req.ModelVersionNot,
		"selected", len(done), "requeued", counts[reprocess.ActionRequeued],
		"skipped", counts[reprocess.ActionSkipped], "errors", counts[reprocess.ActionError])
	t.note = fmt.Sprintf("reprocess: %d selected, %d requeued, %d skipped, %d errors",
		len(done), counts[reprocess.ActionRequeued], counts[reprocess.ActionSkipped], counts[reprocess.ActionError])
	if len(transient) > 0 {
		t.retry(jobs.Wrap(jobs.CodeOf(transient[0]), errors.Join(transient...),
			"%d of %d selected jobs not requeued", len(transient), len(done)))
		return t
	}
	t.ack(t.note)
	return t
}
