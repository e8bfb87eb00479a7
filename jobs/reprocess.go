package jobs

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Statuses a reprocess request may select (the store's, spelt out here
// because jobs does not import store).
const (
	ReprocessFailed    = "FAILED"
	ReprocessSucceeded = "SUCCEEDED"
)

// ReprocessRequest asks the worker to run finished jobs again: the body
// {"reprocess": {...}} that the scheduled reprocessing (EventBridge
// Scheduler) puts on the jobs queue.
type ReprocessRequest struct {
	Status string // ReprocessFailed or ReprocessSucceeded
	// Window selects jobs updated within this long before the anchor
	// (see From); zero when SinceTime is set.
	Window time.Duration
	// SinceTime selects jobs updated at or after this instant; zero when
	// Window is set.
	SinceTime       time.Time
	Code            string    // only FAILED jobs with this error code ("" = any)
	ModelVersionNot string    // only jobs whose model_version differs ("" = any)
	Limit           int       // at most this many jobs read (0 = all)
	ScheduledTime   time.Time // when the scheduler fired, zero if absent
}

// From is the earliest updated_at the request selects. A Window counts back
// from the scheduled time when the body has one, else from fallback (the
// message's SentTimestamp): anchoring the window to the message, not to the
// moment of handling, makes a redelivered request select the same jobs.
func (r *ReprocessRequest) From(fallback time.Time) time.Time {
	if !r.SinceTime.IsZero() {
		return r.SinceTime
	}
	anchor := r.ScheduledTime
	if anchor.IsZero() {
		anchor = fallback
	}
	return anchor.Add(-r.Window)
}

// reprocessWire is the wire form of the request. Pointers tell "absent"
// from "empty".
type reprocessWire struct {
	Status          *string `json:"status"`
	Since           *string `json:"since"`
	Code            *string `json:"code"`
	ModelVersionNot *string `json:"model_version_not"`
	Limit           *int    `json:"limit"`
	ScheduledTime   *string `json:"scheduled_time"`
}

const reprocessFields = "status, since, code, model_version_not, limit, scheduled_time"

// decodeReprocess decodes a body whose shape is a reprocess request.
func decodeReprocess(fields map[string]json.RawMessage) (*ReprocessRequest, error) {
	if len(fields) != 1 {
		return nil, Errorf(CodeMalformedJob, "a reprocess request has exactly one top-level field, \"reprocess\"; got %s", fieldList(fields))
	}
	raw := fields["reprocess"]
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(raw, &inner); err != nil || inner == nil {
		return nil, Errorf(CodeMalformedJob, "reprocess must be a JSON object with fields %s", reprocessFields)
	}
	// Exact keys: encoding/json would match "Status" to status.
	for k := range inner {
		if !strings.Contains(", "+reprocessFields+",", ", "+k+",") {
			return nil, Errorf(CodeMalformedJob, "reprocess has unknown field %q (fields: %s)", truncate(k), reprocessFields)
		}
	}
	var w reprocessWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, Wrap(CodeMalformedJob, err, "reprocess request")
	}
	r := &ReprocessRequest{}
	switch {
	case w.Status == nil:
		return nil, Errorf(CodeMalformedJob, "reprocess: status is required: FAILED or SUCCEEDED")
	case *w.Status != ReprocessFailed && *w.Status != ReprocessSucceeded:
		return nil, Errorf(CodeMalformedJob, "reprocess: status %q: only FAILED or SUCCEEDED jobs are reprocessed", truncate(*w.Status))
	}
	r.Status = *w.Status
	if w.Since == nil || *w.Since == "" {
		return nil, Errorf(CodeMalformedJob, `reprocess: since is required: a duration such as "24h" or an RFC 3339 time`)
	}
	if d, err := time.ParseDuration(*w.Since); err == nil {
		if d <= 0 {
			return nil, Errorf(CodeMalformedJob, "reprocess: since %q must be a positive duration", truncate(*w.Since))
		}
		r.Window = d
	} else if t, err := time.Parse(time.RFC3339Nano, *w.Since); err == nil {
		r.SinceTime = t.UTC()
	} else {
		return nil, Errorf(CodeMalformedJob, `reprocess: since %q is neither a duration such as "24h" nor an RFC 3339 time`, truncate(*w.Since))
	}
	if w.Code != nil {
		if *w.Code != "" && r.Status != ReprocessFailed {
			return nil, Errorf(CodeMalformedJob, "reprocess: code selects by error code, which only FAILED jobs have")
		}
		r.Code = *w.Code
	}
	if w.ModelVersionNot != nil {
		r.ModelVersionNot = *w.ModelVersionNot
	}
	if w.Limit != nil {
		if *w.Limit < 0 {
			return nil, Errorf(CodeMalformedJob, "reprocess: limit %d must be 0 (all) or more", *w.Limit)
		}
		r.Limit = *w.Limit
	}
	if w.ScheduledTime != nil && *w.ScheduledTime != "" {
		t, err := time.Parse(time.RFC3339Nano, *w.ScheduledTime)
		if err != nil {
			return nil, Errorf(CodeMalformedJob, "reprocess: scheduled_time %q is not an RFC 3339 time (EventBridge Scheduler fills <aws.scheduler.scheduled-time>)", truncate(*w.ScheduledTime))
		}
		r.ScheduledTime = t.UTC()
	}
	return r, nil
}

// decodeReprocessBody decodes body when it has the reprocess shape (ok
// set); other bodies are left to decodeBody. A body with "reprocess" and
// another shape's fields is decodeBody's ambiguity error.
func decodeReprocessBody(body []byte) (req *ReprocessRequest, ok bool, err error) {
	// Cheap test first: most bodies are jobs, some 256 KiB of base64.
	if !bytes.Contains(body, []byte(`"reprocess"`)) {
		return nil, false, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil, false, nil
	}
	if _, has := fields["reprocess"]; !has {
		return nil, false, nil
	}
	if shape, err := shapeOf(fields); err != nil || shape != shapeReprocess {
		return nil, false, nil
	}
	req, err = decodeReprocess(fields)
	return req, true, err
}
