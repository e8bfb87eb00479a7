package jobs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCompletionEncode(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 5, time.FixedZone("x", 3600))
	big := map[string]any{"text": strings.Repeat("x", MaxCompletionBytes)}
	for _, tc := range []struct {
		name    string
		c       Completion
		want    map[string]any // fields that must be as given; nil value = absent
		attrs   map[string]string
		wantErr bool
	}{
		{"inline output", Completion{JobID: "j1", Status: "SUCCEEDED", Model: "iris-rf", ModelVersion: "1", Input: "inline", Output: map[string]any{"label": "setosa"}, FinishedAt: at},
			map[string]any{"output": map[string]any{"label": "setosa"}, "output_uri": nil, "finished_at": "2026-12-01T09:00:00.000000005Z", "error": nil},
			map[string]string{"status": "SUCCEEDED", "model": "iris-rf"}, false},
		{"output in S3", Completion{JobID: "j2", Status: "SUCCEEDED", Output: map[string]any{"summary": true}, OutputURI: "s3://r/j2.json", FinishedAt: at},
			map[string]any{"output": nil, "output_uri": "s3://r/j2.json"},
			map[string]string{"status": "SUCCEEDED"}, false},
		{"failed", Completion{JobID: "j3", Status: "FAILED", Model: "m", Error: &EventError{Code: CodeWrongFeatureCount, Message: "want 4"}, FinishedAt: at},
			map[string]any{"error": map[string]any{"code": "wrong_feature_count", "message": "want 4"}},
			map[string]string{"status": "FAILED", "model": "m", "error_code": "wrong_feature_count"}, false},
		{"too big", Completion{JobID: "j4", Status: "SUCCEEDED", Output: big, FinishedAt: at},
			map[string]any{"output": nil, "output_omitted": true}, map[string]string{"status": "SUCCEEDED"}, false},
		{"not final", Completion{JobID: "j5", Status: "IN_PROGRESS"}, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.c.Encode()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Encode: %v", err)
			}
			if err != nil {
				return
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got["notification_id"] != CompletionID(tc.c.JobID, tc.c.Status, at) || got["job_id"] != tc.c.JobID {
				t.Errorf("ids: %v", got)
			}
			for k, v := range tc.want {
				gb, _ := json.Marshal(got[k])
				wb, _ := json.Marshal(v)
				if string(gb) != string(wb) {
					t.Errorf("%s = %s, want %s", k, gb, wb)
				}
			}
			if ga, _ := json.Marshal(tc.c.Attributes()); string(ga) != string(must(json.Marshal(tc.attrs))) {
				t.Errorf("attributes %s, want %v", ga, tc.attrs)
			}
			if len(b) > MaxCompletionBytes {
				t.Errorf("event is %d bytes", len(b))
			}
		})
	}
}

func TestCompletionIDStable(t *testing.T) {
	at := time.Now()
	a, b := CompletionID("j", "SUCCEEDED", at), CompletionID("j", "SUCCEEDED", at.In(time.FixedZone("y", -7200)))
	if a != b {
		t.Errorf("one instant, two ids: %s %s", a, b)
	}
	for _, other := range []string{CompletionID("j", "FAILED", at), CompletionID("k", "SUCCEEDED", at), CompletionID("j", "SUCCEEDED", at.Add(time.Nanosecond))} {
		if other == a {
			t.Errorf("another outcome has the same id %s", a)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeCompletionEnvelopes(t *testing.T) {
	ev := Completion{JobID: "j", Status: "FAILED", Error: &EventError{Code: CodeInputMissing, Message: "gone"}, FinishedAt: time.Unix(0, 0)}
	b, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sns, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "m", "Message": string(b)})
	eb, _ := json.Marshal(map[string]any{"detail-type": CompletionDetailType, "source": CompletionSource, "detail": json.RawMessage(b)})
	for name, body := range map[string]string{"raw": string(b), "sns": string(sns), "eventbridge": string(eb)} {
		got, err := DecodeCompletion(body)
		if err != nil || got.JobID != "j" || got.Error == nil || got.Error.Code != CodeInputMissing || got.NotificationID == "" {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	for _, bad := range []string{`nope`, `{"Type": "Notification", "Message": "{}"}`, `{"job_id": 3}`} {
		if _, err := DecodeCompletion(bad); CodeOf(err) != CodeMalformedJob {
			t.Errorf("DecodeCompletion(%s) = %v, want malformed_job", bad, err)
		}
	}
}
