package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// TestRecordFileSurvivesKillsAndShortInvocations drops a record file whose
// output spans several parts into the inbox, under a function timeout too
// short to finish it in one invocation, and SIGKILLs the function once the
// file has committed a part. The file ends SUCCEEDED once, its output
// exactly one line per record in file order: progress survived the kill,
// and invocations that ran out of time handed the file on.
func TestRecordFileSurvivesKillsAndShortInvocations(t *testing.T) {
	s := newSystem(t, sysOptions{Timeout: 3 * time.Second, Visibility: 6 * time.Second, Env: []string{
		"BATCHINFER_DEADLINE_MARGIN=1s", "BATCHINFER_RECORD_PART_BYTES=5242880", "BATCHINFER_ROUTES=batches/=iris-rf",
	}})
	const n = 600_000
	var file bytes.Buffer
	for i := range n {
		if i%10_000 == 7 {
			file.WriteString(`{"id": "bad", "features": [1, 2]}` + "\n")
			continue
		}
		fmt.Fprintf(&file, `{"id": %d, "features": [%.1f, 3.0, %.1f, 1.2]}`+"\n", i, 4.5+float64(i%30)/10, 1+float64(i%50)/10)
	}
	obj := s.putLarge(s.spec.InputBucket, "batches/rows.jsonl", file.Bytes())
	s.send(notification(s.spec.InputBucket, obj))

	killed := false
	deadline := time.Now().Add(60 * time.Second)
	for !killed && time.Now().Before(deadline) {
		if r := s.getAll([]string{obj.JobID})[0]; r != nil && r.Progress != nil && len(r.Progress.Parts) > 0 && r.Status == store.StatusInProgress {
			for _, pid := range s.rie.HandlerPIDs() {
				if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
					killed = true
				}
			}
			t.Logf("killed the function with %d records committed in %d parts", r.Progress.Records, len(r.Progress.Parts))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !killed {
		t.Fatalf("the file never committed a part while running\n%s", s.logs.Tail(30))
	}
	rec := s.waitFinal([]string{obj.JobID}, 120*time.Second)[obj.JobID]
	if rec.Status != store.StatusSucceeded || rec.Attempts < 3 {
		t.Fatalf("item %+v, want SUCCEEDED after ≥ 3 attempts (killed, then handed on)", rec)
	}
	if got := fmt.Sprint(rec.Output["records"], "/", rec.Output["failed"]); got != fmt.Sprint(n, "/", n/10_000) {
		t.Errorf("output %v, want %d records, %d failed", rec.Output, n, n/10_000)
	}
	s.checkRecordLines(rec.OutputURI, n)
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d messages in the DLQ, want none", len(dl))
	}
}

// checkRecordLines reads a record file's output: n lines, the i-th for
// record i (ids are the record numbers' zero-based index, "bad" for the
// planted wrong_feature_count records).
func (s *system) checkRecordLines(uri string, n int) {
	s.t.Helper()
	s.checkOutputLines(uri, n, func(i int, line []byte) string {
		want := fmt.Sprintf(`{"id":%d,"output":`, i)
		if i%10_000 == 7 {
			want = `{"id":"bad","error":{"code":"wrong_feature_count"`
		}
		if !bytes.HasPrefix(line, []byte(want)) {
			return "want it to start " + want
		}
		return ""
	})
}

// checkOutputLines reads a record file's output object: n lines, each
// passing check (i counts from 0), which says what is wrong with one.
func (s *system) checkOutputLines(uri string, n int, check func(i int, line []byte) string) {
	s.t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(s.getObject(uri)))
	i := 0
	for ; sc.Scan(); i++ {
		if wrong := check(i, sc.Bytes()); wrong != "" {
			s.t.Fatalf("line %d = %.200s: %s", i+1, sc.Text(), wrong)
		}
	}
	if i != n {
		s.t.Fatalf("%d output lines, want %d", i, n)
	}
}

// putLarge uploads data in 8 MiB parts (the emulator takes at most 11 MiB
// per request) with the store's own multipart calls.
func (s *system) putLarge(bucket, key string, data []byte) object {
	s.t.Helper()
	up := &store.Outputs{Client: s.s3, Bucket: bucket}
	id, err := up.CreateUpload(s.ctx, key, "application/x-ndjson")
	if err != nil {
		s.t.Fatal(err)
	}
	var parts []store.Part
	for i := 0; i*partSize < len(data); i++ {
		chunk := data[i*partSize : min((i+1)*partSize, len(data))]
		etag, err := up.UploadPart(s.ctx, key, id, int32(i+1), chunk)
		if err != nil {
			s.t.Fatal(err)
		}
		parts = append(parts, store.Part{Number: int32(i + 1), ETag: etag})
	}
	if err := up.CompleteUpload(s.ctx, key, id, parts); err != nil {
		s.t.Fatal(err)
	}
	head, err := s.s3.HeadObject(s.ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		s.t.Fatal(err)
	}
	etag := strings.Trim(aws.ToString(head.ETag), `"`)
	return object{Key: key, ETag: etag, Size: len(data), JobID: jobs.ObjectJobID(bucket, key, "", etag)}
}

const partSize = 8 << 20
