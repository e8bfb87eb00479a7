package api

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// JobIDPattern is what a job_id sent through the API may look like. It is
// narrower than the queue's rule: the REST API hands the id to SQS as a
// SendMessageBatch entry id (letters, digits, - and _, at most 80), the
// only way its direct integration can answer with the id it sent. Request
// ids (UUIDs) fit it.
var JobIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// Accepted is the 202 answer of POST /v1/jobs.
type Accepted struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"` // QUEUED
}

// StatusQueued is Accepted.Status: in the queue, no item yet.
const StatusQueued = "QUEUED"

func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	msg, err := jobMessage(body, requestID(r.Context()))
	if err != nil {
		writeError(w, http.StatusBadRequest, jobs.MessageOf(err), string(jobs.CodeOf(err)))
		return
	}
	sent, err := s.Queue.Send(r.Context(), []store.OutMessage{{Body: msg.Body}})
	if err == nil && len(sent) == 1 {
		err = sent[0].Err
	}
	if err != nil {
		s.Log.Error("send job", "job_id", msg.Jobs[0].ID, "err", err)
		writeUpstreamError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, Accepted{JobID: msg.Jobs[0].ID, Status: StatusQueued})
}

// readBody reads at most MaxBodyBytes; a longer body is answered 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return readBodyMax(w, r, MaxBodyBytes)
}

// jobMessage turns a request body into the message to enqueue: one inline
// job, its job_id the body's or else the request id (written into the body,
// so the worker records the job under the id the client was given), checked
// by the worker's own decoder.
func jobMessage(body []byte, reqID string) (jobs.Message, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return jobs.Message{}, jobs.Errorf(jobs.CodeMalformedJob, "the body is not a JSON object: POST /v1/jobs takes one inline job {\"input\": {...}, ...}")
	}
	if _, ok := fields["input"]; !ok {
		return jobs.Message{}, jobs.Errorf(jobs.CodeMalformedJob, "the body has no \"input\": POST /v1/jobs takes one inline job {\"job_id\"?, \"model\"?, \"input\", \"metadata\"?}")
	}
	if raw, ok := fields["job_id"]; ok {
		var id string
		if err := json.Unmarshal(raw, &id); err != nil || !JobIDPattern.MatchString(id) {
			return jobs.Message{}, jobs.Errorf(jobs.CodeMalformedJob, "job_id must be 1 to 80 letters, digits, - or _ (pattern %s)", JobIDPattern)
		}
	} else {
		fields["job_id"], _ = json.Marshal(reqID)
		b, err := json.Marshal(fields)
		if err != nil {
			return jobs.Message{}, jobs.Wrap(jobs.CodeMalformedJob, err, "re-encode the job")
		}
		body = b
	}
	m, err := jobs.CheckBody(string(body), reqID)
	switch {
	case err != nil:
		return m, err
	case m.Reprocess != nil || len(m.Jobs) != 1:
		return m, jobs.Errorf(jobs.CodeMalformedJob, "POST /v1/jobs takes one inline job, not an event or a reprocess request")
	}
	return m, nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("job_id")
	rec, err := s.Jobs.Get(r.Context(), id)
	if err != nil {
		s.Log.Error("get job", "job_id", id, "err", err)
		writeUpstreamError(w, err)
		return
	}
	if rec == nil {
		writeError(w, http.StatusNotFound, msgNotFound, "")
		return
	}
	writeJSON(w, http.StatusOK, JobView(rec))
}

// JobView is the item as GET /v1/jobs/{job_id} shows it: the contract's
// fields (DESIGN.md), without the worker's bookkeeping (claim token,
// lease, payload hash). output is inline when the item holds it whole;
// output_uri is present only when the full output is in S3.
func JobView(rec *store.Record) map[string]any {
	v := map[string]any{"job_id": rec.JobID, "status": rec.Status, "attempts": rec.Attempts}
	put := func(k, val string) {
		if val != "" {
			v[k] = val
		}
	}
	put("model", rec.Model)
	put("model_version", rec.ModelVersion)
	put("input", rec.Input)
	put("output_uri", rec.OutputURI)
	put("created_at", rec.CreatedAt)
	put("updated_at", rec.UpdatedAt)
	if rec.Output != nil {
		v["output"] = rec.Output
	}
	if rec.Error != nil {
		v["error"] = map[string]string{"code": string(rec.Error.Code), "message": rec.Error.Message}
	}
	if rec.Metadata != nil {
		v["metadata"] = rec.Metadata
	}
	return v
}

// writeUpstreamError answers a failed AWS call: 503 when the service is
// throttling us or unreachable (worth a retry), else 500, as API Gateway
// words them; the cause stays in the log.
func writeUpstreamError(w http.ResponseWriter, err error) {
	switch jobs.CodeOf(err) {
	case jobs.CodeThrottled, jobs.CodeServiceError, jobs.CodeNetwork, jobs.CodeTimeout:
		writeError(w, http.StatusServiceUnavailable, msgUnavailable, "")
	default:
		writeError(w, http.StatusInternalServerError, msgInternal, "")
	}
}
