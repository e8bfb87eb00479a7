package worker

import "github.com/batchinfer/batchinfer/store"

// item is the item t writes, made when it is written: the job's identity
// (t.job is its one copy), this attempt's claim, and once the outcome is
// written (finishedAt) the outcome, its timings and its expiry.
func (w *Worker) item(t *task) store.Record {
	r := store.Record{
		JobID: t.job.ID, Model: t.job.Model, ModelVersion: t.modelVersion(), Input: t.job.Input.String(),
		Metadata: t.job.Metadata, MessageID: t.msg.MessageID, PayloadHash: t.job.PayloadHash,
		ClaimToken: t.token, Attempts: t.attempts(),
		Status: t.status, Error: t.errInfo, Output: t.stored, OutputURI: t.outputURI,
	}
	if t.claimed && t.existing != nil { // a claim carries the item's history on
		r.CreatedAt = t.existing.CreatedAt
	}
	if t.reused != nil {
		r.ReusedFrom = t.reused.ReusedFrom
	}
	if !t.finishedAt.IsZero() {
		r.Timings, r.UpdatedAt = t.timing, store.FormatTime(t.finishedAt)
		r.ExpiresAt = t.finishedAt.Add(w.Config.ResultTTL).Unix()
	}
	return r
}

// modelVersion is the version of the model t runs on ("" before resolve
// found one).
func (t *task) modelVersion() string {
	if t.model == nil {
		return ""
	}
	return t.model.Version()
}

// attempts is how many attempts the claimed item counts (0 unclaimed: an
// optimistic write counts its own).
func (t *task) attempts() int {
	if t.claimed && t.existing != nil {
		return t.existing.Attempts
	}
	return 0
}
