package jobs

import (
	"testing"
	"time"
)

// The body EventBridge Scheduler sends (infra/stack ReprocessBody with the
// scheduled time filled in).
func TestReprocessScheduledSample(t *testing.T) {
	m := decode(bodyFile(t, "reprocess-scheduled.json"))
	if m.Err != nil || m.Ignored || len(m.Jobs) != 0 || m.Reprocess == nil {
		t.Fatalf("want a reprocess request, got err=%v ignored=%v jobs=%d", m.Err, m.Ignored, len(m.Jobs))
	}
	r := m.Reprocess
	fired := time.Date(2025, 3, 14, 6, 0, 0, 0, time.UTC)
	if r.Status != ReprocessFailed || r.Window != 24*time.Hour || !r.ScheduledTime.Equal(fired) {
		t.Fatalf("decoded %+v", r)
	}
	// The window counts back from the scheduled time, whatever the fallback.
	if got := r.From(time.Now()); !got.Equal(fired.Add(-24 * time.Hour)) {
		t.Errorf("From = %v, want a day before %v", got, fired)
	}
}

func TestReprocessRequestFields(t *testing.T) {
	sent := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name, body string
		want       ReprocessRequest
		from       time.Time
	}{
		{"window from sent time", `{"reprocess":{"status":"FAILED","since":"90m"}}`,
			ReprocessRequest{Status: "FAILED", Window: 90 * time.Minute}, sent.Add(-90 * time.Minute)},
		{"absolute since", `{"reprocess":{"status":"SUCCEEDED","since":"2025-01-01T00:00:00+02:00","model_version_not":"v2","limit":50}}`,
			ReprocessRequest{Status: "SUCCEEDED", SinceTime: time.Date(2024, 12, 31, 22, 0, 0, 0, time.UTC), ModelVersionNot: "v2", Limit: 50},
			time.Date(2024, 12, 31, 22, 0, 0, 0, time.UTC)},
		{"code", `{"reprocess":{"status":"FAILED","since":"1h","code":"input_missing","limit":0,"scheduled_time":""}}`,
			ReprocessRequest{Status: "FAILED", Window: time.Hour, Code: "input_missing"}, sent.Add(-time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := decode(tc.body)
			if m.Err != nil || m.Reprocess == nil {
				t.Fatalf("err=%v reprocess=%v", m.Err, m.Reprocess)
			}
			if !equalJSON(t, *m.Reprocess, tc.want) {
				t.Errorf("decoded %+v, want %+v", *m.Reprocess, tc.want)
			}
			if got := m.Reprocess.From(sent); !got.Equal(tc.from) {
				t.Errorf("From = %v, want %v", got, tc.from)
			}
		})
	}
}

func TestReprocessRequestRejected(t *testing.T) {
	cases := []struct{ body, substr string }{
		{`{"reprocess":{"status":"FAILED","since":"24h"},"extra":1}`, `exactly one top-level field`},
		{`{"reprocess":{"status":"FAILED","since":"24h"},"input":{"features":[1]}}`, `ambiguous`},
		{`{"reprocess":"FAILED"}`, `must be a JSON object`},
		{`{"reprocess":null}`, `must be a JSON object`},
		{`{"reprocess":{"since":"24h"}}`, `status is required`},
		{`{"reprocess":{"status":"IN_PROGRESS","since":"24h"}}`, `only FAILED or SUCCEEDED`},
		{`{"reprocess":{"status":"failed","since":"24h"}}`, `only FAILED or SUCCEEDED`},
		{`{"reprocess":{"status":"FAILED"}}`, `since is required`},
		{`{"reprocess":{"status":"FAILED","since":"yesterday"}}`, `neither a duration`},
		{`{"reprocess":{"status":"FAILED","since":"-1h"}}`, `positive duration`},
		{`{"reprocess":{"status":"FAILED","since":"24h","limit":-1}}`, `limit -1`},
		{`{"reprocess":{"status":"FAILED","since":"24h","limit":2.5}}`, `reprocess request`},
		{`{"reprocess":{"status":"FAILED","since":"24h","Status":"FAILED"}}`, `unknown field "Status"`},
		{`{"reprocess":{"status":"FAILED","since":"24h","dry_run":true}}`, `unknown field "dry_run"`},
		{`{"reprocess":{"status":"SUCCEEDED","since":"24h","code":"input_missing"}}`, `only FAILED jobs have`},
		{`{"reprocess":{"status":"FAILED","since":"24h","scheduled_time":"<aws.scheduler.scheduled-time>"}}`, `not an RFC 3339 time`},
		{`{"Type":"Notification","MessageId":"sns-1","Message":"{\"reprocess\":{\"status\":\"FAILED\",\"since\":\"24h\"}}"}`, `whole SQS message body`},
	}
	for _, tc := range cases {
		t.Run(tc.substr, func(t *testing.T) {
			m := decode(tc.body)
			if m.Reprocess != nil {
				t.Fatalf("accepted %s as %+v", tc.body, m.Reprocess)
			}
			mustMsgErr(t, m, CodeMalformedJob, tc.substr)
			if m.ErrJobID != "msg-1" {
				t.Errorf("ErrJobID %q, want the message id", m.ErrJobID)
			}
		})
	}
}

// A body that merely mentions "reprocess" somewhere else is still a job.
func TestReprocessWordInJob(t *testing.T) {
	m := decode(`{"job_id":"j1","input":{"features":[1]},"metadata":{"reprocess":true}}`)
	if mustJobs(t, m, 1)[0].ID != "j1" || m.Reprocess != nil {
		t.Fatalf("job mistaken for a reprocess request: %+v", m)
	}
}
