package worker

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

func features(f ...float64) map[string]any { return map[string]any{"features": f} }

func TestMixedBatchSucceedsAndFailsPerItem(t *testing.T) {
	f := newFixture(t)
	lines := []string{"Invoice 2026-11-27", "Total $12.50", "Hello, World!"}
	var msgs []events.SQSMessage
	for i, l := range lines {
		key := "scans/line " + string(rune('a'+i)) + ".png" // a space: S3 encodes it as '+'
		f.put(f.spec.InputBucket, key, textimg.PNG(l, textimg.Options{Font: textimg.Regular}))
		msgs = append(msgs, message("ocr-"+string(rune('a'+i)), s3Notification(f.spec.InputBucket, key, "etag"+string(rune('a'+i))), 1))
	}
	msgs = append(msgs,
		message("iris-setosa", inlineJob("setosa-1", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1),
		message("iris-virginica", inlineJob("", "iris-rf", features(6.7, 3.0, 5.2, 2.3)), 1),
	)
	// Poison, one of each kind, among the good ones.
	f.put(f.spec.InputBucket, "bad/corrupt.png", []byte("\x89PNG\r\n\x1a\nnot really"))
	f.put(f.spec.InputBucket, "bad/huge.png", make([]byte, 2<<20))
	poison := map[string]jobs.Code{
		"bad-json":     jobs.CodeMalformedJob,
		"bad-model":    jobs.CodeUnknownModel,
		"bad-missing":  jobs.CodeInputMissing,
		"bad-corrupt":  jobs.CodeUndecodableImage,
		"bad-huge":     jobs.CodeInputTooLarge,
		"bad-bucket":   jobs.CodeBucketNotAllowed,
		"bad-features": jobs.CodeWrongFeatureCount,
	}
	msgs = append(msgs,
		message("bad-json", `{"input": {"features": [1,2`, 1),
		message("bad-model", inlineJob("bad-model", "no-such-model", features(1, 2, 3, 4)), 1),
		message("bad-missing", inlineJob("bad-missing", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/nope.png"}), 1),
		message("bad-corrupt", inlineJob("bad-corrupt", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/bad/corrupt.png"}), 1),
		message("bad-huge", inlineJob("bad-huge", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/bad/huge.png"}), 1),
		message("bad-bucket", inlineJob("bad-bucket", "ppocr-rec", map[string]any{"s3": "s3://other-bucket-" + f.spec.InputBucket + "/x.png"}), 1),
		message("bad-features", inlineJob("bad-features", "iris-rf", features(1, 2, 3)), 1),
	)
	// The OCR notifications name no model: route them with a default of ppocr-rec.
	f.serve(models[1], models[0], models[2])

	if retry := f.invoke(f.ctx, msgs...); len(retry) != 0 {
		t.Fatalf("batchItemFailures = %v, want none (every failure here is permanent)", retry)
	}

	for i, l := range lines {
		id := jobs.ObjectJobID(f.spec.InputBucket, "scans/line "+string(rune('a'+i))+".png", "", "etag"+string(rune('a'+i)))
		rec := f.item(id)
		if rec == nil || rec.Status != "SUCCEEDED" {
			t.Fatalf("OCR job %s: item %+v, want SUCCEEDED", id, rec)
		}
		if got := rec.Output["text"]; got != l {
			t.Errorf("OCR job %s: text %q, want %q", id, got, l)
		}
		if rec.OutputURI != "" {
			t.Errorf("output_uri %q: an output that fits the item needs no object", rec.OutputURI)
		}
	}
	if rec := f.item("setosa-1"); rec == nil || rec.Output["label"] != "setosa" || rec.Attempts != 1 {
		t.Errorf("setosa item = %+v", rec)
	}
	if rec := f.item("iris-virginica"); rec == nil || rec.Output["label"] != "virginica" {
		t.Errorf("job without job_id must use the message id; item = %+v", rec)
	}
	dlq := f.deadLetters()
	for id, code := range poison {
		rec := f.item(id)
		if rec == nil || rec.Status != "FAILED" || rec.Error == nil || rec.Error.Code != code {
			t.Errorf("%s: item %+v, want FAILED %s", id, rec, code)
		}
		m, ok := dlq[id]
		if !ok {
			t.Errorf("%s: not in the DLQ", id)
			continue
		}
		if attr(m, "error_code") != string(code) || attr(m, "source_message_id") != id {
			t.Errorf("%s: DLQ attributes %v", id, m.MessageAttributes)
		}
	}
	if len(dlq) != len(poison) {
		t.Errorf("DLQ holds %d messages, want %d", len(dlq), len(poison))
	}
}

func TestRedeliveryRunsInferenceOnce(t *testing.T) {
	f := newFixture(t)
	body := inlineJob("once", "iris-rf", features(5.9, 3.0, 5.1, 1.8))
	// Twice in one invocation (SQS may deliver a message twice at once),
	// then the whole batch again, as after a lost delete.
	msgs := []events.SQSMessage{message("m1", body, 1), message("m2", body, 1)}
	if retry := f.invoke(f.ctx, msgs...); len(retry) != 0 {
		t.Fatalf("first delivery: retry %v", retry)
	}
	first := f.item("once")
	if retry := f.invoke(f.ctx, message("m1", body, 2)); len(retry) != 0 {
		t.Fatalf("second delivery: retry %v", retry)
	}
	again := f.item("once")
	if first.Attempts != 1 || again.Attempts != 1 || again.UpdatedAt != first.UpdatedAt || again.Status != "SUCCEEDED" {
		t.Errorf("redelivery changed the item: first %+v, after %+v", first, again)
	}
	if n := strings.Count(f.logBuf.String(), `"status":"SUCCEEDED"`); n != 1 {
		t.Errorf("inference outcome logged %d times, want 1", n)
	}
}

func TestSameJobIDDifferentPayloadIsAConflict(t *testing.T) {
	f := newFixture(t)
	f.invoke(f.ctx, message("m1", inlineJob("dup", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1))
	if retry := f.invoke(f.ctx, message("m2", inlineJob("dup", "iris-rf", features(6.7, 3.0, 5.2, 2.3)), 1)); len(retry) != 0 {
		t.Fatalf("retry %v, want the conflict to be permanent", retry)
	}
	if rec := f.item("dup"); rec.Output["label"] != "setosa" {
		t.Errorf("the first payload's result was overwritten: %+v", rec)
	}
	dlq := f.deadLetters()
	if m, ok := dlq["dup"]; !ok || attr(m, "error_code") != string(jobs.CodeIdempotencyConflict) || attr(m, "source_message_id") != "m2" {
		t.Errorf("DLQ = %v, want m2 as idempotency_conflict", dlq)
	}
}

func TestInlineDataBase64(t *testing.T) {
	f := newFixture(t)
	png := textimg.PNG("Base 64", textimg.Options{})
	body := inlineJob("b64", "ppocr-rec", map[string]any{"data_base64": base64.StdEncoding.EncodeToString(png)})
	if retry := f.invoke(f.ctx, message("m", body, 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	if rec := f.item("b64"); rec.Output["text"] != "Base 64" || rec.Input != "inline" {
		t.Errorf("item = %+v", rec)
	}
}

// flaky wraps the real table and fails the first calls with a transient
// error, as DynamoDB throttling does.
type flaky struct {
	Results
	failClaims, failCompletes, failPuts atomic.Int32
}

func (f *flaky) Put(ctx context.Context, rec store.Record, since time.Time) (store.PutResult, error) {
	if f.failPuts.Add(-1) >= 0 {
		return store.PutResult{}, jobs.Errorf(jobs.CodeServiceError, "injected 500")
	}
	return f.Results.Put(ctx, rec, since)
}

func (f *flaky) Claim(ctx context.Context, rec store.Record, lease time.Duration) (store.ClaimResult, error) {
	if f.failClaims.Add(-1) >= 0 {
		return store.ClaimResult{}, jobs.Errorf(jobs.CodeThrottled, "injected throttling")
	}
	return f.Results.Claim(ctx, rec, lease)
}

func (f *flaky) Complete(ctx context.Context, rec store.Record) error {
	if f.failCompletes.Add(-1) >= 0 {
		return jobs.Errorf(jobs.CodeServiceError, "injected 500")
	}
	return f.Results.Complete(ctx, rec)
}

// newFlakyFixture is a fixture, claiming every job when claim, whose
// results fail the first claims claims and the first writes completes and
// puts.
func newFlakyFixture(t *testing.T, claim bool, claims, writes int32) *fixture {
	t.Helper()
	f := newFixture(t)
	f.w.Config.Claim.All = claim
	fl := &flaky{Results: f.w.Results}
	fl.failClaims.Store(claims)
	fl.failCompletes.Store(writes)
	fl.failPuts.Store(writes)
	f.w.Results = fl
	return f
}

func TestTransientFailuresAreRetriedInsideTheInvocation(t *testing.T) {
	for _, claim := range []bool{false, true} {
		t.Run(fmt.Sprintf("claim=%v", claim), func(t *testing.T) {
			f := newFlakyFixture(t, claim, 3, 3)
			if retry := f.invoke(f.ctx, message("m", inlineJob("j", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1)); len(retry) != 0 {
				t.Fatalf("retry %v, want the in-invocation backoff to absorb 3 faults", retry)
			}
			if rec := f.item("j"); rec == nil || rec.Status != store.StatusSucceeded {
				t.Errorf("item %+v", rec)
			}
		})
	}
}

func TestTransientFailuresPastTheDeadlineAreReported(t *testing.T) {
	for _, claim := range []bool{false, true} {
		t.Run(fmt.Sprintf("claim=%v", claim), func(t *testing.T) {
			f := newFlakyFixture(t, claim, 0, 1<<30)
			ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
			defer cancel()
			retry := f.invoke(ctx, message("m1", inlineJob("j1", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1))
			if len(retry) != 1 || retry[0] != "m1" {
				t.Fatalf("retry %v, want [m1]", retry)
			}
			rec := f.item("j1")
			switch {
			case claim && (rec == nil || rec.Status != store.StatusInProgress):
				t.Errorf("item %+v, want IN_PROGRESS until its lease expires", rec)
			case !claim && rec != nil:
				t.Errorf("item %+v, want none: an optimistic attempt writes only its outcome", rec)
			}
			if _, ok := f.deadLetters()["j1"]; ok {
				t.Error("a transient failure reached the DLQ")
			}
		})
	}
}

func TestLastReceiveMarksRetriesExhausted(t *testing.T) {
	f := newFixture(t)
	f.w.Inputs = failingInputs{}
	f.put(f.spec.InputBucket, "a.png", textimg.PNG("a", textimg.Options{}))
	body := inlineJob("tired", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/a.png"})
	ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
	defer cancel()
	retry := f.invoke(ctx, message("m", body, f.w.Config.MaxReceives))
	if len(retry) != 1 {
		t.Fatalf("retry %v, want the message left for redrive", retry)
	}
	rec := f.item("tired")
	if rec == nil || rec.Status != store.StatusFailed || rec.Error == nil || rec.Error.Code != jobs.CodeRetriesExhausted {
		t.Errorf("item %+v, want FAILED retries_exhausted", rec)
	}
}

type failingInputs struct{}

func (failingInputs) Fetch(context.Context, jobs.S3Object) ([]byte, error) {
	return nil, jobs.Wrap(jobs.CodeNetwork, errors.New("connection reset by peer"), "injected")
}

func (failingInputs) Open(context.Context, jobs.S3Object, int64) (io.ReadCloser, int64, error) {
	return nil, 0, jobs.Wrap(jobs.CodeNetwork, errors.New("connection reset by peer"), "injected")
}

func TestNoNewWorkInsideTheDeadlineMargin(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(f.ctx, f.w.Config.DeadlineMargin/2)
	defer cancel()
	retry := f.invoke(ctx, message("m1", inlineJob("late", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1))
	if len(retry) != 1 {
		t.Fatalf("retry %v, want [m1]", retry)
	}
	if rec := f.item("late"); rec != nil {
		t.Errorf("a job was claimed with no time left: %+v", rec)
	}
}

func TestTestEventIsAcknowledged(t *testing.T) {
	f := newFixture(t)
	body := `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-27T05:00:00.000Z","Bucket":"inbox","RequestId":"R","HostId":"H"}`
	if retry := f.invoke(f.ctx, message("t", body, 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	if len(f.deadLetters()) != 0 {
		t.Error("the test event reached the DLQ")
	}
}

// stuckInputs fails one object's fetch forever and serves the rest.
type stuckInputs struct {
	Inputs
	stuck string
}

func (s stuckInputs) Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error) {
	if obj.Key == s.stuck {
		return nil, jobs.Wrap(jobs.CodeNetwork, errors.New("connection reset by peer"), "injected")
	}
	return s.Inputs.Fetch(ctx, obj)
}

func TestOneStuckInputDoesNotHoldBackItsNeighbours(t *testing.T) {
	f := newFixture(t)
	f.w.Inputs = stuckInputs{Inputs: f.w.Inputs, stuck: "stuck.png"}
	f.put(f.spec.InputBucket, "stuck.png", textimg.PNG("stuck", textimg.Options{}))
	f.put(f.spec.InputBucket, "fine.png", textimg.PNG("fine", textimg.Options{}))
	ctx, cancel := context.WithTimeout(f.ctx, 3*time.Second)
	defer cancel()
	retry := f.invoke(ctx,
		message("m-stuck", inlineJob("stuck", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/stuck.png"}), 1),
		message("m-fine", inlineJob("fine", "ppocr-rec", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/fine.png"}), 1),
		message("m-iris", inlineJob("iris", "iris-rf", features(5.1, 3.5, 1.4, 0.2)), 1),
	)
	if len(retry) != 1 || retry[0] != "m-stuck" {
		t.Fatalf("retry %v, want only [m-stuck]", retry)
	}
	for _, id := range []string{"fine", "iris"} {
		if rec := f.item(id); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %+v, want SUCCEEDED despite the stuck neighbour", id, rec)
		}
	}
}

func TestDirectS3InvokeProcessesTheObjects(t *testing.T) {
	f := newFixture(t)
	f.serve(models[1], models[0])
	f.put(f.spec.InputBucket, "direct/hello world.png", textimg.PNG("hello world", textimg.Options{}))
	payload := []byte(s3Notification(f.spec.InputBucket, "direct/hello world.png", "e1"))
	out, err := f.w.Handle(f.ctx, payload)
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	if o, ok := out.(Outcome); !ok || o.Succeeded != 1 {
		t.Fatalf("outcome %+v, want one success", out)
	}
	rec := f.item(jobs.ObjectJobID(f.spec.InputBucket, "direct/hello world.png", "", "e1"))
	if rec == nil || rec.Output["text"] != "hello world" {
		t.Errorf("item %+v", rec)
	}

	// A transient failure fails the invocation, so Lambda's async retry runs it again.
	f.w.Inputs = failingInputs{}
	f.put(f.spec.InputBucket, "direct/b.png", textimg.PNG("b", textimg.Options{}))
	ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
	defer cancel()
	if _, err := f.w.Handle(ctx, []byte(s3Notification(f.spec.InputBucket, "direct/b.png", "e2"))); err == nil {
		t.Error("a transient failure in a direct invoke returned no error")
	}
}

func TestHandleRejectsEventsItDoesNotServe(t *testing.T) {
	f := newFixture(t)
	if _, err := f.w.Handle(f.ctx, []byte(`{"Records":[{"eventSource":"aws:kinesis"}]}`)); err == nil {
		t.Error("a Kinesis event was accepted")
	}
}
