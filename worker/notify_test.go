package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/batchinfer/batchinfer/internal/faultproxy"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// watchEvents drains the watch queue for about wait: the completion events
// with their SNS attributes.
func (f *fixture) watchEvents(url string, wait time.Duration) ([]jobs.Completion, []map[string]struct{ Value string }) {
	f.t.Helper()
	q := &store.Queue{Client: f.sqs, URL: url}
	var evs []jobs.Completion
	var attrs []map[string]struct{ Value string }
	for end := time.Now().Add(wait); time.Now().Before(end); {
		msgs, err := q.Receive(f.ctx, 10, time.Second, 0)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, m := range msgs {
			var env struct {
				Message           string
				MessageAttributes map[string]struct{ Value string }
			}
			var ev jobs.Completion
			if json.Unmarshal([]byte(aws.ToString(m.Body)), &env) != nil || json.Unmarshal([]byte(env.Message), &ev) != nil {
				f.t.Fatalf("not a completion in an SNS envelope: %s", aws.ToString(m.Body))
			}
			evs, attrs = append(evs, ev), append(attrs, env.MessageAttributes)
		}
		if err := q.Delete(f.ctx, msgs); err != nil {
			f.t.Fatal(err)
		}
	}
	return evs, attrs
}

// completionTopic is a completion topic with a queue subscribed to it, and
// two Notifications on it for the fixture's table: good, and broken, whose
// every SNS call fails (through proxy).
type completionTopic struct {
	queueURL     string
	good, broken *Notifications
	proxy        *faultproxy.Proxy
}

func (f *fixture) completionTopic(prefix string) completionTopic {
	f.t.Helper()
	cfg := emu.Config(f.ctx)
	watch, err := store.ProvisionNotify(f.ctx, cfg, store.NotifySpec{Topic: prefix + "topic-" + f.spec.Table, Queue: prefix + "watch-" + f.spec.Table})
	if err != nil {
		f.t.Fatal(err)
	}
	proxy, err := faultproxy.Start(f.ctx, emu.SQSURL, faultproxy.Options{FailRate: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(proxy.Stop)
	broken := &store.Notifier{TopicARN: watch.TopicARN,
		SNS: sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(proxy.URL()) })}
	return completionTopic{
		queueURL: watch.QueueURL,
		good:     NewNotifications(store.NewNotifier(cfg, watch.TopicARN, ""), f.table),
		broken:   NewNotifications(broken, f.table),
		proxy:    proxy,
	}
}

// A real job finished by the worker, its event through fauxqs SNS to a
// subscribed queue; then a publish that fails (every SNS call a 500),
// marked on the item, published by the next delivery, and nothing more
// for a later duplicate.
func TestNotifyFinishedAndPending(t *testing.T) {
	f := newFixture(t)
	topic := f.completionTopic("")

	ids := []string{"notify-ok", "notify-bad"}
	f.invoke(f.ctx,
		message("m1", inlineJob(ids[0], "iris-rf", map[string]any{"features": []float64{5.1, 3.5, 1.4, 0.2}}), 1),
		message("m2", inlineJob(ids[1], "iris-rf", map[string]any{"features": []float64{1, 2}}), 1))

	f.w.Notify = topic.good
	for _, id := range ids {
		if err := f.w.notifyFinished(f.ctx, CompletionOf(f.item(id))); err != nil {
			t.Fatalf("notify %s: %v", id, err)
		}
	}
	evs, attrs := f.watchEvents(topic.queueURL, 2*time.Second)
	if len(evs) != 2 {
		t.Fatalf("got %d events, want one per finished job: %+v", len(evs), evs)
	}
	for i, ev := range evs {
		rec := f.item(ev.JobID)
		if ev.Status != string(rec.Status) || ev.Model != "iris-rf" || attrs[i]["status"].Value != string(rec.Status) || attrs[i]["model"].Value != "iris-rf" {
			t.Errorf("event %+v with attributes %v for item %+v", ev, attrs[i], rec)
		}
		if ev.Status == "FAILED" && (ev.Error == nil || attrs[i]["error_code"].Value != string(ev.Error.Code) || ev.Error.Code != jobs.CodeWrongFeatureCount) {
			t.Errorf("failed job's event: %+v, attributes %v", ev.Error, attrs[i])
		}
		if ev.Status == "SUCCEEDED" && ev.Output["label"] == nil && ev.OutputURI == "" {
			t.Errorf("succeeded job's event has neither output nor output_uri: %+v", ev)
		}
	}

	// The publish fails inside the invocation: marked, nothing delivered.
	f.w.Notify = topic.broken
	ev := CompletionOf(f.item(ids[0]))
	err := f.w.notifyFinished(f.ctx, ev)
	if err == nil || jobs.IsPermanent(err) {
		t.Fatalf("a failed publish returned %v, want a transient error", err)
	}
	rec := f.item(ids[0])
	if rec.NotifyPending != ev.NotificationID || rec.Status != "SUCCEEDED" {
		t.Fatalf("after a failed publish the item is %s with notify_pending %q, want SUCCEEDED and %q", rec.Status, rec.NotifyPending, ev.NotificationID)
	}

	// The next delivery publishes it, with the same id, and clears the mark.
	f.w.Notify = topic.good
	if err := f.w.notifyPending(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	if again := f.item(ids[0]); again.NotifyPending != "" {
		t.Errorf("mark not cleared: %q", again.NotifyPending)
	}
	// A later duplicate: no mark, nothing published.
	if err := f.w.notifyPending(f.ctx, f.item(ids[0])); err != nil {
		t.Fatal(err)
	}
	evs, _ = f.watchEvents(topic.queueURL, 1500*time.Millisecond)
	if len(evs) != 1 || evs[0].NotificationID != ev.NotificationID || evs[0].JobID != ids[0] {
		t.Errorf("after recovery got %+v, want the one owed event %s", evs, ev.NotificationID)
	}
	if c := topic.proxy.Counts()[faultproxy.S3]; c.Injected == 0 {
		t.Errorf("the broken notifier's calls were not failed by the proxy: %+v", topic.proxy.Counts())
	}
}

// TestPipelinePublishesCompletions runs the notifications through Process
// itself: one event per finished job, none for a redelivered duplicate; a
// publish that fails leaves the message for redelivery with the item
// marked, and that redelivery publishes the owed event once and is
// acknowledged.
func TestPipelinePublishesCompletions(t *testing.T) {
	f := newFixture(t)
	topic := f.completionTopic("p")

	ok := message("p1", inlineJob("pub-ok", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1)
	bad := message("p2", inlineJob("pub-bad", "iris-rf", features(1, 2)), 1)
	f.w.Notify = topic.good
	if retry := f.invoke(f.ctx, ok, bad); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	if retry := f.invoke(f.ctx, ok); len(retry) != 0 { // a redelivered duplicate
		t.Fatalf("duplicate retried: %v", retry)
	}
	evs, _ := f.watchEvents(topic.queueURL, 2*time.Second)
	if len(evs) != 2 {
		t.Fatalf("%d events, want exactly one per finished job (none for the duplicate): %+v", len(evs), evs)
	}

	f.w.Notify = topic.broken
	late := message("p3", inlineJob("pub-late", "iris-rf", features(6.3, 3.3, 6.0, 2.5)), 1)
	ctx, cancel := context.WithTimeout(f.ctx, 8*time.Second)
	defer cancel()
	if retry := f.invoke(ctx, late); len(retry) != 1 {
		t.Fatalf("retry %v, want the message left for redelivery while its event is owed", retry)
	}
	rec := f.item("pub-late")
	if rec == nil || rec.Status != store.StatusSucceeded || rec.NotifyPending == "" {
		t.Fatalf("item %+v, want SUCCEEDED with notify_pending", rec)
	}
	f.w.Notify = topic.good
	late.Attributes["ApproximateReceiveCount"] = "2"
	if retry := f.invoke(f.ctx, late); len(retry) != 0 {
		t.Fatalf("redelivery retried: %v", retry)
	}
	evs, _ = f.watchEvents(topic.queueURL, 1500*time.Millisecond)
	if len(evs) != 1 || evs[0].JobID != "pub-late" || evs[0].NotificationID != rec.NotifyPending {
		t.Fatalf("after recovery %+v, want the one owed event %s", evs, rec.NotifyPending)
	}
	if again := f.item("pub-late"); again.NotifyPending != "" {
		t.Errorf("mark not cleared: %q", again.NotifyPending)
	}
}
