package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// object is an input uploaded to the inbox and what its job must say.
type object struct {
	Key, ETag string
	Size      int
	JobID     string
	Text      string // the rendered text, for OCR inputs
}

// putObject uploads data to bucket and returns the object with the job_id
// its notification will carry.
func (s *system) putObject(bucket, key string, data []byte) object {
	s.t.Helper()
	out, err := s.s3.PutObject(s.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		s.t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
	etag := strings.Trim(aws.ToString(out.ETag), `"`)
	return object{Key: key, ETag: etag, Size: len(data), JobID: jobs.ObjectJobID(bucket, key, "", etag)}
}

// uploadLines renders n text lines (cycling the fonts), uploads them to the
// inbox under keys with spaces and punctuation (which notifications must
// URL-encode), 8 at a time.
func (s *system) uploadLines(n int, seed int64) []object {
	s.t.Helper()
	texts := textimg.Corpus(n, seed)
	objs := make([]object, n)
	testenv.Parallel(n, 8, func(i int) {
		font := textimg.Fonts[i%len(textimg.Fonts)]
		key := fmt.Sprintf("scans/line %04d (%s)+v1.png", i, font)
		o := s.putObject(s.spec.InputBucket, key, textimg.PNG(texts[i], textimg.Options{Font: font}))
		o.Text = strings.TrimSpace(texts[i])
		objs[i] = o
	})
	return objs
}

// notification is the body S3 sends to SQS for one created object: its
// own format, keys form-encoded (space as '+', '+' as %2B).
func notification(bucket string, o object) string {
	return jobs.S3Notification(emu.Region, jobs.S3Object{Bucket: bucket, Key: o.Key, ETag: o.ETag, Size: int64(o.Size)})
}

// irisJob is an inline job for the iris model with its own job_id.
func irisJob(id string, features []float64) string {
	b, _ := json.Marshal(map[string]any{
		"job_id": id, "model": "iris-rf",
		"input":    map[string]any{"features": features},
		"metadata": map[string]any{"source": "e2e"},
	})
	return string(b)
}

// irisJobs makes n inline iris jobs with ids prefix-0000...
func irisJobs(prefix string, n int) (ids, bodies []string) {
	for i := range n {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		// Iris-scale measurements, varied so all three classes appear.
		f := []float64{4.3 + float64(i%36)/10, 2.0 + float64(i%24)/10, 1.0 + float64(i%59)/10, 0.1 + float64(i%25)/10}
		ids, bodies = append(ids, id), append(bodies, irisJob(id, f))
	}
	return ids, bodies
}

// mixed is the iris jobs' bodies with a notification of the next object
// after every n-th of them, as real traffic mixes models (n 0: all the
// notifications after the iris jobs), and every job's id, iris first.
func (s *system) mixed(irisIDs, irisBodies []string, objs []object, n int) (ids, bodies []string) {
	left := objs
	for i, b := range irisBodies {
		bodies = append(bodies, b)
		if n > 0 && i%n == n-1 && len(left) > 0 {
			bodies, left = append(bodies, notification(s.spec.InputBucket, left[0])), left[1:]
		}
	}
	for _, o := range left {
		bodies = append(bodies, notification(s.spec.InputBucket, o))
	}
	ids = slices.Clone(irisIDs)
	for _, o := range objs {
		ids = append(ids, o.JobID)
	}
	return ids, bodies
}

// send enqueues bodies on the jobs queue and returns their message ids.
func (s *system) send(bodies ...string) []string {
	s.t.Helper()
	msgs := make([]store.OutMessage, len(bodies))
	for i, b := range bodies {
		msgs[i] = store.OutMessage{Body: b}
	}
	q := &store.Queue{Client: s.sqs, URL: s.prov.QueueURL}
	sent, err := q.Send(s.ctx, msgs)
	if err != nil {
		s.t.Fatalf("send %d messages: %v", len(bodies), err)
	}
	ids := make([]string, len(sent))
	for i, m := range sent {
		if m.Err != nil {
			s.t.Fatalf("send message %d: %v", i, m.Err)
		}
		ids[i] = m.MessageID
	}
	return ids
}

// waitFinal polls the results table until every job has a SUCCEEDED or
// FAILED item, and fails the test with what is missing after timeout.
func (s *system) waitFinal(ids []string, timeout time.Duration) map[string]*store.Record {
	s.t.Helper()
	got := make(map[string]*store.Record, len(ids))
	deadline := time.Now().Add(timeout)
	for pending := ids; ; {
		var still []string
		for i, r := range s.getAll(pending) {
			got[pending[i]] = r
			if r == nil || !store.Status(r.Status).Final() {
				still = append(still, pending[i])
			}
		}
		if len(still) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			sort.Strings(still)
			var desc []string
			for _, id := range still[:min(10, len(still))] {
				st := "no item"
				if r := got[id]; r != nil {
					st = fmt.Sprintf("%s (attempts %d)", r.Status, r.Attempts)
				}
				desc = append(desc, id+": "+st)
			}
			s.t.Fatalf("after %s, %d of %d jobs have no final item, e.g.\n  %s\nfailed invokes and crashes:\n%s\nlast log lines (all of them in %s):\n%s",
				timeout, len(still), len(ids), strings.Join(desc, "\n  "), s.troubles(), s.keepLog(), s.logs.Tail(30))
		}
		time.Sleep(250 * time.Millisecond)
		pending = still
	}
}

// troubles are the log lines that explain jobs without items: the
// mapping's failed invokes, and the runtime emulator's or function's
// crashes.
func (s *system) troubles() string {
	var out []string
	for _, l := range strings.Split(s.logs.String(), "\n") {
		failedInvoke := strings.Contains(l, `"invoke_error":"`) && !strings.Contains(l, `"invoke_error":""`)
		failedCycle := strings.Contains(l, `"msg":"esm`) && strings.Contains(l, `"level":"WARN"`)
		if failedInvoke || failedCycle || strings.Contains(l, "panic") || strings.Contains(l, "Runtime.") {
			out = append(out, l)
		}
	}
	return strings.Join(out[max(0, len(out)-20):], "\n")
}

// keepLog writes the whole log where it outlives the test, for a failure
// that its tail does not explain.
func (s *system) keepLog() string {
	dir := filepath.Join(os.TempDir(), "batchinfer-e2e")
	path := filepath.Join(dir, strings.ReplaceAll(s.t.Name(), "/", "_")+".log")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "nowhere: " + err.Error()
	}
	if err := os.WriteFile(path, s.logs.Bytes(), 0o644); err != nil {
		return "nowhere: " + err.Error()
	}
	return path
}

// getAll reads the items of ids, 8 at a time; nil where absent.
func (s *system) getAll(ids []string) []*store.Record {
	s.t.Helper()
	out := make([]*store.Record, len(ids))
	errs := make([]error, len(ids))
	testenv.Parallel(len(ids), 8, func(i int) { out[i], errs[i] = s.results.Get(s.ctx, ids[i]) })
	for _, err := range errs {
		if err != nil {
			s.t.Fatalf("read results: %v", err)
		}
	}
	return out
}

// jobLine is the worker's one log line per job outcome.
type jobLine struct {
	Msg       string `json:"msg"`
	JobID     string `json:"job_id"`
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	ErrorCode string `json:"error_code"`
	Attempt   int    `json:"attempt"`
	Receives  int    `json:"receive_count"`
}

// jobLines parses the function's "job" log lines from RIE's output.
func (s *system) jobLines() []jobLine {
	var out []jobLine
	all := s.logs.String()
	for _, l := range s.moreLogs {
		all += "\n" + l.String()
	}
	for _, line := range strings.Split(all, "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 || !strings.Contains(line, `"msg":"job"`) {
			continue
		}
		var l jobLine
		if json.Unmarshal([]byte(line[i:]), &l) == nil && l.Msg == "job" {
			out = append(out, l)
		}
	}
	return out
}

// succeededLines counts SUCCEEDED job lines per job_id: each is one
// inference whose outcome was stored.
func (s *system) succeededLines() map[string]int {
	n := map[string]int{}
	for _, l := range s.jobLines() {
		if l.Status == "SUCCEEDED" {
			n[l.JobID]++
		}
	}
	return n
}

// deadLetters drains the DLQ and returns its messages by job_id attribute.
func (s *system) deadLetters() map[string][]sqstypes.Message {
	s.t.Helper()
	got := map[string][]sqstypes.Message{}
	for empty := 0; empty < 2; {
		out, err := s.sqs.ReceiveMessage(s.ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.prov.DLQURL), MaxNumberOfMessages: 10, VisibilityTimeout: 120,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			s.t.Fatalf("receive from the DLQ: %v", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range out.Messages {
			id := attr(m, "job_id")
			got[id] = append(got[id], m)
		}
	}
	return got
}

func attr(m sqstypes.Message, name string) string {
	if v, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

// waitQueueDrained waits until the jobs queue holds no message, visible or
// in flight: every source message was acknowledged.
func (s *system) waitQueueDrained(timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	q := &store.Queue{Client: s.sqs, URL: s.prov.QueueURL}
	for {
		b, err := q.Backlog(s.ctx)
		if err != nil {
			s.t.Fatalf("queue attributes: %v", err)
		}
		if b.Visible == 0 && b.InFlight == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("jobs queue not drained after %s: %d visible, %d in flight", timeout, b.Visible, b.InFlight)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
