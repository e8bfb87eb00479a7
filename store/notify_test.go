package store

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/jobs"
)

// snsEnvelope is what an SQS subscription without raw delivery receives.
type snsEnvelope struct {
	Type              string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

// receiveAll drains q for about wait and returns the bodies.
func receiveAll(t *testing.T, url string, wait time.Duration) []string {
	t.Helper()
	q := &Queue{Client: sqs.NewFromConfig(cfg), URL: url}
	var bodies []string
	for end := time.Now().Add(wait); time.Now().Before(end); {
		msgs, err := q.Receive(context.Background(), 10, time.Second, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			bodies = append(bodies, aws.ToString(m.Body))
		}
		if err := q.Delete(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}

// Completion events through fauxqs SNS to SQS subscriptions: each event
// once per subscription, the attributes subscribers filter on set, and a
// filter policy on status honoured.
func TestNotifierSNSToSQS(t *testing.T) {
	ctx := context.Background()
	all, err := ProvisionNotify(ctx, cfg, NotifySpec{Topic: name("topic"), Queue: name("watch")})
	if err != nil {
		t.Fatal(err)
	}
	// A second queue on the same topic (CreateTopic of a taken name finds
	// it), filtered on status.
	failedOnly, err := ProvisionNotify(ctx, cfg, NotifySpec{Topic: all.TopicARN[strings.LastIndex(all.TopicARN, ":")+1:],
		Queue: name("failed"), FilterPolicy: `{"status": ["FAILED"]}`})
	if err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(cfg, all.TopicARN, "")
	at := time.Now()
	events := []jobs.Completion{
		{JobID: "ok-1", Status: "SUCCEEDED", Model: "iris-rf", Output: map[string]any{"label": "setosa"}, FinishedAt: at},
		{JobID: "bad-1", Status: "FAILED", Model: "iris-rf", Error: &jobs.EventError{Code: jobs.CodeWrongFeatureCount, Message: "want 4"}, FinishedAt: at},
	}
	for _, ev := range events {
		if err := n.Publish(ctx, ev); err != nil {
			t.Fatalf("publish %s: %v", ev.JobID, err)
		}
	}
	got := map[string]snsEnvelope{}
	for _, b := range receiveAll(t, all.QueueURL, 2*time.Second) {
		var env snsEnvelope
		var c jobs.Completion
		if err := json.Unmarshal([]byte(b), &env); err != nil || json.Unmarshal([]byte(env.Message), &c) != nil {
			t.Fatalf("not an SNS envelope of a completion: %s", b)
		}
		if _, dup := got[c.JobID]; dup {
			t.Errorf("job %s delivered twice", c.JobID)
		}
		got[c.JobID] = env
		if c.NotificationID != jobs.CompletionID(c.JobID, c.Status, at) {
			t.Errorf("job %s: notification_id %s", c.JobID, c.NotificationID)
		}
	}
	if len(got) != 2 {
		t.Fatalf("the watch queue got %d events, want 2", len(got))
	}
	if a := got["bad-1"].MessageAttributes; a["status"].Value != "FAILED" || a["model"].Value != "iris-rf" || a["error_code"].Value != "wrong_feature_count" {
		t.Errorf("FAILED event attributes: %+v", a)
	}
	if _, ok := got["ok-1"].MessageAttributes["error_code"]; ok || got["ok-1"].MessageAttributes["status"].Value != "SUCCEEDED" {
		t.Errorf("SUCCEEDED event attributes: %+v", got["ok-1"].MessageAttributes)
	}
	filtered := receiveAll(t, failedOnly.QueueURL, 1500*time.Millisecond)
	if len(filtered) != 1 || !strings.Contains(filtered[0], "bad-1") {
		t.Errorf("the status=FAILED subscription got %d events: %v", len(filtered), filtered)
	}
}

// EventBridge has no local emulator; this endpoint answers PutEvents as
// EventBridge does, first with a failed entry (the fault), then accepted.
func TestNotifierEventBridge(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if len(bodies) == 1 {
			io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"ThrottlingException","ErrorMessage":"slow down"}]}`)
			return
		}
		io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
	}))
	defer srv.Close()
	ebCfg := cfg.Copy()
	ebCfg.BaseEndpoint = aws.String(srv.URL)
	n := NewNotifier(ebCfg, "", "jobs-bus")
	ev := jobs.Completion{JobID: "j", Status: "SUCCEEDED", FinishedAt: time.Now()}
	if err := n.Publish(context.Background(), ev); jobs.CodeOf(err) != jobs.CodeThrottled {
		t.Errorf("a throttled entry: %v, want code throttled", err)
	}
	if err := n.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var req struct {
		Entries []struct{ Source, DetailType, Detail, EventBusName string }
	}
	if err := json.Unmarshal([]byte(bodies[1]), &req); err != nil || len(req.Entries) != 1 {
		t.Fatalf("PutEvents body %s: %v", bodies[1], err)
	}
	e := req.Entries[0]
	if e.Source != "batchinfer" || e.DetailType != "batchinfer.job.finished" || e.EventBusName != "jobs-bus" || !strings.Contains(e.Detail, `"job_id":"j"`) {
		t.Errorf("entry %+v", e)
	}
}

// The pending mark: set only on a final item, cleared only by the id
// that set it.
func TestNotifyPendingMark(t *testing.T) {
	r := newTable(t)
	ctx := context.Background()
	for _, rec := range []Record{{JobID: "done", Status: "SUCCEEDED"}, {JobID: "busy", Status: "IN_PROGRESS"}} {
		putRecord(t, r, rec)
	}
	steps := []struct {
		name   string
		do     func() (bool, error)
		wrote  bool
		holder string // notify_pending of "done" afterwards
	}{
		{"mark final", func() (bool, error) { return r.MarkNotifyPending(ctx, "done", "n-1") }, true, "n-1"},
		{"mark in progress", func() (bool, error) { return r.MarkNotifyPending(ctx, "busy", "n-1") }, false, "n-1"},
		{"mark absent", func() (bool, error) { return r.MarkNotifyPending(ctx, "nothing", "n-1") }, false, "n-1"},
		{"clear other id", func() (bool, error) { return r.ClearNotifyPending(ctx, "done", "n-2") }, false, "n-1"},
		{"clear own id", func() (bool, error) { return r.ClearNotifyPending(ctx, "done", "n-1") }, true, ""},
		{"clear again", func() (bool, error) { return r.ClearNotifyPending(ctx, "done", "n-1") }, false, ""},
	}
	for _, s := range steps {
		wrote, err := s.do()
		if err != nil || wrote != s.wrote {
			t.Fatalf("%s: wrote %v, %v; want %v", s.name, wrote, err, s.wrote)
		}
		got, err := r.Get(ctx, "done")
		if err != nil || got.NotifyPending != s.holder {
			t.Fatalf("%s: notify_pending %q, %v; want %q", s.name, got.NotifyPending, err, s.holder)
		}
	}
	if rec, _ := r.Get(ctx, "nothing"); rec != nil {
		t.Errorf("a mark created an item: %+v", rec)
	}
}

func putRecord(t *testing.T, r *Results, rec Record) {
	t.Helper()
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
}
