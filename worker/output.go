package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"unicode/utf8"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// maxSummaryBytes keeps the DynamoDB item small: the full output lives in
// S3, the item holds what a poller needs at a glance.
const maxSummaryBytes = store.MaxInlineOutputBytes

// summarize returns out unchanged when its JSON fits in limit bytes, and
// otherwise keeps the smallest fields that fit, marking it truncated.
func summarize(out map[string]any, limit int) map[string]any {
	b, err := json.Marshal(out)
	if err == nil && len(b) <= limit {
		return out
	}
	type field struct {
		k    string
		size int
	}
	var fields []field
	for k, v := range out {
		if k == "truncated" {
			// The summary's own marker: an embedding's "the text was cut"
			// flag must not overwrite it (the full output keeps that).
			continue
		}
		vb, err := json.Marshal(v)
		if err != nil {
			continue
		}
		fields = append(fields, field{k, len(k) + len(vb) + 4})
	}
	sort.Slice(fields, func(i, j int) bool {
		return fields[i].size < fields[j].size || (fields[i].size == fields[j].size && fields[i].k < fields[j].k)
	})
	sum := map[string]any{"truncated": true}
	used := len(`{"truncated":true}`)
	for _, f := range fields {
		if used+f.size > limit {
			// The first text that does not fit keeps its start (a page's
			// "text"): a poller sees what the document says at a glance.
			if s, ok := out[f.k].(string); ok {
				if room := limit - used - len(f.k) - 6; room > 0 {
					sum[f.k] = truncateJSON(s, room)
				}
			}
			break
		}
		sum[f.k] = out[f.k]
		used += f.size
	}
	return sum
}

// truncateJSON cuts s, on a rune boundary, to what fits in limit bytes once
// JSON-encoded.
func truncateJSON(s string, limit int) string {
	for len(s) > 0 {
		b, _ := json.Marshal(s)
		if len(b) <= limit {
			return s
		}
		cut := len(s) - max((len(b)-limit)/2, 1)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// logOutcome writes the one structured line per job outcome. Payloads are
// never logged: inputs may be personal data.
func (w *Worker) logOutcome(t *task) {
	attrs := []any{
		"job_id", t.job.ID, "message_id", t.msg.MessageID, "status", t.state.String(),
		"model", t.job.Model, "model_version", t.modelVersion(), "attempt", t.attempts(),
		"receive_count", t.msg.ReceiveCount, "batch_size", t.batch, "timings_ms", t.timing,
	}
	level := slog.LevelInfo
	if t.err != nil {
		attrs = append(attrs, "error_code", string(jobs.CodeOf(t.err)), "error", t.err.Error())
		if t.state == retryLater {
			level = slog.LevelWarn
		} else {
			level = slog.LevelError
		}
	}
	if t.dupOf != nil {
		t.note = "duplicate delivery in this batch"
	}
	if t.note != "" {
		attrs = append(attrs, "note", t.note)
	}
	w.logger().Log(context.Background(), level, "job", attrs...)
}
