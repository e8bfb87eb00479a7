package local

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// newInbox makes a bucket and a queue and an Inbox between them.
func newInbox(t *testing.T, prefix, suffix, state string) (*Inbox, queue) {
	t.Helper()
	ctx := context.Background()
	cfg := emu.Config(ctx)
	q := newQueue(t, 30*time.Second)
	bucket := "inbox-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	c := store.NewS3Client(cfg)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return &Inbox{S3: c, Queue: &store.Queue{Client: q.sqs, URL: q.url}, Bucket: bucket, Region: cfg.Region,
		Prefix: prefix, Suffix: suffix, StatePath: state}, q
}

func (in *Inbox) put(t *testing.T, key, body string) {
	t.Helper()
	if _, err := in.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// notified decodes the notifications on q as the worker will: key → job.
func notified(t *testing.T, q queue, n int) map[string]jobs.Job {
	t.Helper()
	got := map[string]jobs.Job{}
	for _, m := range q.receiveAll(t, n, 3*time.Second) {
		dm := jobs.DecodeMessage(events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		if dm.Err != nil || len(dm.Jobs) != 1 {
			t.Fatalf("not an S3 notification of one object: %s (%v)", aws.ToString(m.Body), dm.Err)
		}
		got[dm.Jobs[0].Input.S3.Key] = dm.Jobs[0]
	}
	return got
}

// The inbox sends a notification per new key and ETag, filtered like the
// stack's, and none again after a restart; a rewritten key is new.
func TestInboxDeliversNewObjectsOnce(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	in, q := newInbox(t, "incoming/", ".png", state)
	for _, k := range []string{"incoming/a.png", "incoming/sub dir/b+c.png", "incoming/notes.txt", "other/d.png"} {
		in.put(t, k, "data of "+k)
	}
	ctx := context.Background()
	if n, err := in.Pass(ctx); err != nil || n != 2 {
		t.Fatalf("first pass sent %d, %v; want the 2 .png under incoming/", n, err)
	}
	got := notified(t, q, 2)
	for _, k := range []string{"incoming/a.png", "incoming/sub dir/b+c.png"} {
		j, ok := got[k]
		if !ok || j.Input.S3.Bucket != in.Bucket || !strings.HasPrefix(j.ID, jobs.ObjectJobPrefix) {
			t.Errorf("%s: %+v", k, j)
		}
	}

	// A restart: a fresh Inbox on the same state file sends nothing old.
	again := *in
	again.delivered = nil
	in.put(t, "incoming/new.png", "new")
	in.put(t, "incoming/a.png", "rewritten: a new ETag, a new job")
	if n, err := again.Pass(ctx); err != nil || n != 2 {
		t.Fatalf("after a restart sent %d, %v; want the new object and the rewritten one", n, err)
	}
	got2 := notified(t, q, 2)
	if _, ok := got2["incoming/new.png"]; !ok || len(got2) != 2 || got2["incoming/a.png"].ID == got["incoming/a.png"].ID {
		t.Errorf("after a restart: %v", got2)
	}
	if n, err := again.Pass(ctx); err != nil || n != 0 {
		t.Errorf("a pass with nothing new sent %d, %v", n, err)
	}
}

// The same bytes written again under the same key, in the same bucket or in
// one made anew after `local down` (the state file kept), are delivered
// again, as S3 notifies every write: they used to be skipped silently.
func TestInboxDeliversTheSameBytesWrittenAgain(t *testing.T) {
	in, q := newInbox(t, "", "", filepath.Join(t.TempDir(), "state.json"))
	ctx := context.Background()
	in.put(t, "scan.png", "same bytes")
	if n, err := in.Pass(ctx); err != nil || n != 1 {
		t.Fatalf("first pass sent %d, %v", n, err)
	}
	notified(t, q, 1)
	time.Sleep(20 * time.Millisecond) // a write time of its own
	if _, err := in.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String("scan.png")}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(in.Bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(in.Bucket)}); err != nil {
		t.Fatal(err)
	}
	in.put(t, "scan.png", "same bytes")
	again := *in
	again.delivered = nil // a new `local run` on the same state file
	if n, err := again.Pass(ctx); err != nil || n != 1 {
		t.Fatalf("the same bytes in a bucket made anew: sent %d, %v; want 1", n, err)
	}
	notified(t, q, 1)
}

// Run delivers a new object within about two seconds.
func TestInboxRunDeliversPromptly(t *testing.T) {
	in, q := newInbox(t, "", "", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	in.put(t, "x.png", "x")
	if got := notified(t, q, 1); len(got) != 1 || time.Since(start) > 2*time.Second {
		t.Errorf("got %v after %v", got, time.Since(start))
	}
}

func TestTailWriterLastLine(t *testing.T) {
	w := &tailWriter{max: 200}
	w.Write([]byte("RIE noise\nbatchinfer lambda: first\n"))
	w.Write([]byte("batchinfer lambda: init ONNX Runtime: not found\nmore noise\npartial"))
	if got := w.lastLine("batchinfer "); got != "batchinfer lambda: init ONNX Runtime: not found" {
		t.Errorf("lastLine = %q", got)
	}
	w.Write([]byte(strings.Repeat("x", 300)))
	if got := w.lastLine("batchinfer "); got != "" || len(w.buf) != 200 {
		t.Errorf("after overflow: %q, %d bytes kept", got, len(w.buf))
	}
}
