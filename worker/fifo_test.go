package worker

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// fifoQueue provisions a FIFO jobs queue (and DLQ) next to the fixture's.
func (f *fixture) fifoQueue() (*store.Queue, store.Provisioned) {
	f.t.Helper()
	spec := f.spec
	spec.Queue, spec.DLQ, spec.FIFO = strings.TrimSuffix(spec.Queue, "-")+".fifo", spec.DLQ+".fifo", true
	prov, err := store.Provision(f.ctx, emu.Config(f.ctx), spec)
	if err != nil {
		f.t.Fatalf("provision a FIFO queue: %v", err)
	}
	return &store.Queue{Client: f.sqs, URL: prov.QueueURL}, prov
}

// fifoRecord is a record as Lambda delivers it from a FIFO queue. SQS
// returns several messages of one group in one receive; fauxqs returns one
// per group per receive (and locks the group until it is deleted), so a
// batch holding a group's run is built here.
func fifoRecord(arn, id, group string, receives int) events.SQSMessage {
	return events.SQSMessage{
		MessageId: "m-" + id, ReceiptHandle: "rh-" + id, EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: "us-east-1",
		Body: inlineJob(id, "iris-rf", features(5.1, 3.5, 1.4, 0.2)),
		Attributes: map[string]string{"MessageGroupId": group, "ApproximateReceiveCount": strconv.Itoa(receives),
			"SentTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)},
	}
}

// TestFIFOGroupStopsAtItsFirstRetry: groups a and b, three messages each,
// in one batch; a2 is held by another attempt's claim (in_progress: a
// transient failure that, unlike throttling retried to the deadline, leaves
// the invocation time for the later waves). a2 and a3 are handed
// back and a3 never ran (no item); a1 and group b finish. On redelivery a2
// then a3 finish, in that order. A standard queue's batch runs a3 anyway.
func TestFIFOGroupStopsAtItsFirstRetry(t *testing.T) {
	for _, tc := range []struct {
		arn      string
		wantBack []string
	}{
		{"arn:aws:sqs:us-east-1:000000000000:jobs.fifo", []string{"m-a2", "m-a3"}},
		{"arn:aws:sqs:us-east-1:000000000000:jobs", []string{"m-a2"}},
	} {
		t.Run(tc.arn[strings.LastIndexByte(tc.arn, ':')+1:], func(t *testing.T) {
			f := newFixture(t)
			f.holdClaim(inlineJob("a2", "iris-rf", features(5.1, 3.5, 1.4, 0.2)))
			var recs []events.SQSMessage
			for _, id := range []string{"a1", "b1", "a2", "b2", "a3", "b3"} {
				recs = append(recs, fifoRecord(tc.arn, id, id[:1], 1))
			}
			back := f.invokeWithin(10*time.Second, recs...)
			slices.Sort(back)
			if !slices.Equal(back, tc.wantBack) {
				t.Fatalf("handed back %v, want %v", back, tc.wantBack)
			}
			for _, id := range []string{"a1", "b1", "b2", "b3"} {
				if r := f.item(id); r == nil || r.Status != store.StatusSucceeded {
					t.Errorf("%s: %+v, want SUCCEEDED", id, r)
				}
			}
			if len(tc.wantBack) == 1 {
				return
			}
			if r := f.item("a3"); r != nil {
				t.Fatalf("a3 ran although a2 before it failed: %+v", r)
			}
			if _, err := f.ddb.DeleteItem(f.ctx, &dynamodb.DeleteItemInput{TableName: aws.String(f.spec.Table),
				Key: map[string]ddbtypes.AttributeValue{"job_id": &ddbtypes.AttributeValueMemberS{Value: "a2"}}}); err != nil {
				t.Fatal(err) // the other attempt vanished, and its claim with it
			}
			if got := f.invokeWithin(10*time.Second, fifoRecord(tc.arn, "a2", "a", 2), fifoRecord(tc.arn, "a3", "a", 2)); len(got) != 0 {
				t.Fatalf("redelivery retried %v", got)
			}
			a2, a3 := f.item("a2"), f.item("a3")
			if a2 == nil || a3 == nil || a2.UpdatedAt > a3.UpdatedAt {
				t.Errorf("a2 %+v, a3 %+v: want both finished, a2 first", a2, a3)
			}
		})
	}
}

// TestPollerKeepsFIFOOrder runs the poller (three batches in flight) on a
// fauxqs FIFO queue, three groups of six, the second message of each group
// throttled on its first two writes: every group's jobs finish in the
// order they were sent.
func TestPollerKeepsFIFOOrder(t *testing.T) {
	f := newFixture(t)
	q, prov := f.fifoQueue()
	var out []store.OutMessage
	var ids []string
	for i := range 6 {
		for _, g := range []string{"x", "y", "z"} {
			id := g + strconv.Itoa(i)
			ids = append(ids, id)
			out = append(out, store.OutMessage{Body: inlineJob(id, "iris-rf", features(6.7, 3.0, 5.2, 2.3)), GroupID: g})
		}
	}
	if _, err := q.Send(f.ctx, out); err != nil {
		t.Fatal(err)
	}
	fl := &flakyJobs{Results: f.table, fail: map[string]int{"x1": 2, "y1": 2, "z1": 2}}
	f.w.Results = fl
	c := f.pollConfig()
	c.QueueURL, c.Concurrency, c.BatchSize, c.Window = prov.QueueURL, 3, 10, 100*time.Millisecond
	p := NewPoller(f.w, q, c)
	if !f.runUntil(p, 30*time.Second, func() bool { return f.allStatus(store.StatusSucceeded, ids...) }) {
		t.Fatalf("not every job finished; log:\n%s", f.logBuf.String())
	}
	for _, g := range []string{"x", "y", "z"} {
		prev := ""
		for i := range 6 {
			r := f.item(g + strconv.Itoa(i))
			if r.UpdatedAt < prev {
				t.Errorf("group %s: job %d finished at %s, before job %d (%s)", g, i, r.UpdatedAt, i-1, prev)
			}
			prev = r.UpdatedAt
		}
	}
}

// flakyJobs fails the named jobs' first writes transiently.
type flakyJobs struct {
	Results
	mu   sync.Mutex
	fail map[string]int
}

func (r *flakyJobs) Put(ctx context.Context, rec store.Record, since time.Time) (store.PutResult, error) {
	r.mu.Lock()
	n := r.fail[rec.JobID]
	r.fail[rec.JobID] = n - 1
	r.mu.Unlock()
	if n > 0 {
		return store.PutResult{}, jobs.Errorf(jobs.CodeServiceError, "injected 500")
	}
	return r.Results.Put(ctx, rec, since)
}

// receiveAll receives n messages from q (waiting up to 15 s) as records.
func (f *fixture) receiveAll(q *store.Queue, arn string, n int) []events.SQSMessage {
	f.t.Helper()
	var recs []events.SQSMessage
	for end := time.Now().Add(15 * time.Second); len(recs) < n && time.Now().Before(end); {
		got, _, err := q.ReceiveRecords(f.ctx, store.BatchOptions{Max: n - len(recs), IdleWait: time.Second, Visibility: 30 * time.Second}, arn)
		if err != nil {
			f.t.Fatal(err)
		}
		recs = append(recs, got...)
	}
	if len(recs) != n {
		f.t.Fatalf("received %d messages, want %d", len(recs), n)
	}
	return recs
}

func (f *fixture) invokeWithin(d time.Duration, recs ...events.SQSMessage) []string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, d)
	defer cancel()
	return f.invoke(ctx, recs...)
}

// jobIDIn is the job_id of an inline job body.
func jobIDIn(body string) string {
	i := strings.Index(body, `"job_id":"`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`"job_id":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}
