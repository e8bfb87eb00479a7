package worker

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/internal/readback"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// plantedJSONL builds an iris JSONL file of n records with one bad record
// of each kind every 1,000 records and a blank line every 500; want is each
// record's expected error code ("" for an output line), in file order.
func plantedJSONL(n int) (file []byte, want []jobs.Code) {
	var b bytes.Buffer
	bad := []struct {
		line string
		code jobs.Code
	}{
		{`{"features": [5.1, 3.5, 1.4`, jobs.CodeMalformedJob},
		{`{"features": [5.1, 3.5]}`, jobs.CodeWrongFeatureCount},
		{`{"features": ["a", "b", "c", "d"]}`, jobs.CodeInvalidFeatures},
		{`{"s3": "s3://BUCKET/missing.png"}`, jobs.CodeInputMissing},
		{`{"nothing": 1}`, jobs.CodeMalformedJob},
	}
	for i := range n {
		if i%500 == 250 {
			b.WriteString("  \n")
		}
		if k := i % 1000; k < len(bad) {
			b.WriteString(bad[k].line + "\n")
			want = append(want, bad[k].code)
			continue
		}
		fmt.Fprintf(&b, `{"id": "r%d", "features": [%.1f, 3.5, 1.4, 0.2], "note": "ignored"}`+"\n", i, 4.5+float64(i%20)/10)
		want = append(want, "")
	}
	return b.Bytes(), want
}

// outputLines reads a record file's output object.
func (f *fixture) outputLines(uri string) []map[string]any {
	f.t.Helper()
	return readback.Lines(f.t, readback.Object(f.t, f.ctx, f.s3, uri))
}

// checkLines asserts one line per record in file order with the expected
// id and outcome.
func checkLines(t *testing.T, lines []map[string]any, want []jobs.Code, idOf func(i int) any) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d output lines, want %d (one per record)", len(lines), len(want))
	}
	for i, l := range lines {
		if fmt.Sprint(l["id"]) != fmt.Sprint(idOf(i)) {
			t.Fatalf("line %d has id %v, want %v", i+1, l["id"], idOf(i))
		}
		e, _ := l["error"].(map[string]any)
		switch {
		case want[i] == "" && (e != nil || l["output"] == nil):
			t.Fatalf("line %d: %v, want an output", i+1, l)
		case want[i] != "" && (e == nil || e["code"] != string(want[i])):
			t.Fatalf("line %d: %v, want error %s", i+1, l, want[i])
		}
	}
}

func jsonlID(i int) any { // the record's id, else its number
	if i%1000 < 5 {
		return i + 1
	}
	return fmt.Sprintf("r%d", i)
}

func TestRecordFile100kWithPlantedBadRecords(t *testing.T) {
	f := newFixture(t)
	file, want := plantedJSONL(100_000)
	file = bytes.ReplaceAll(file, []byte("BUCKET"), []byte(f.spec.InputBucket))
	f.put(f.spec.InputBucket, "batches/day1.jsonl", file)
	id := jobs.ObjectJobID(f.spec.InputBucket, "batches/day1.jsonl", "", "e1")
	if retry := f.invoke(f.ctx, message("m", s3Notification(f.spec.InputBucket, "batches/day1.jsonl", "e1"), 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	rec := f.item(id)
	if rec == nil || rec.Status != store.StatusSucceeded {
		t.Fatalf("item %+v, want SUCCEEDED", rec)
	}
	failed := 0
	for _, c := range want {
		if c != "" {
			failed++
		}
	}
	if got := rec.Output; fmt.Sprint(got["records"]) != "100000" || fmt.Sprint(got["failed"]) != fmt.Sprint(failed) ||
		fmt.Sprint(got["succeeded"]) != fmt.Sprint(100000-failed) {
		t.Fatalf("output %v, want 100000 records, %d failed", got, failed)
	}
	checkLines(t, f.outputLines(rec.OutputURI), want, jsonlID)

	// A redelivery after success does nothing and leaves the object alone.
	before := f.head(rec.OutputURI)
	if retry := f.invoke(f.ctx, message("m2", s3Notification(f.spec.InputBucket, "batches/day1.jsonl", "e1"), 2)); len(retry) != 0 {
		t.Fatalf("redelivery retried: %v", retry)
	}
	if after := f.head(rec.OutputURI); after != before || f.item(id).UpdatedAt != rec.UpdatedAt {
		t.Fatalf("redelivery touched the output (%s -> %s) or the item", before, after)
	}
}

// head is an object's ETag and modification time.
func (f *fixture) head(uri string) string {
	f.t.Helper()
	obj, _ := jobs.ParseS3URI(uri)
	out, err := f.s3.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)})
	if err != nil {
		f.t.Fatalf("head %s: %v", uri, err)
	}
	return aws.ToString(out.ETag) + " " + aws.ToTime(out.LastModified).String()
}

func TestRecordFileCSVWithShuffledNamedColumns(t *testing.T) {
	f := newFixture(t)
	csv := "petal_width,id,sepal_width,petal_length,sepal_length\n" +
		"0.2,a,3.5,1.4,5.1\n" + // setosa
		"2.3,b,3.0,5.2,6.7\n" + // virginica
		"0.2,c,x,1.4,5.1\n" + // not a number
		"\n" +
		"0.2,d,3.5\n" // too few cells
	f.put(f.spec.InputBucket, "tab/iris.csv", []byte(csv))
	body := inlineJob("csv-1", "iris-rf", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/tab/iris.csv"})
	if retry := f.invoke(f.ctx, message("m", body, 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	rec := f.item("csv-1")
	lines := f.outputLines(rec.OutputURI)
	checkLines(t, lines, []jobs.Code{"", "", jobs.CodeInvalidFeatures, jobs.CodeWrongFeatureCount},
		func(i int) any { return []string{"a", "b", "c", "d"}[i] })
	for i, label := range []string{"setosa", "virginica"} {
		if got := lines[i]["output"].(map[string]any)["label"]; got != label {
			t.Errorf("record %d: label %v, want %s (columns matched by name)", i, got, label)
		}
	}
}

func TestRecordFileOfImagePointersFromANotification(t *testing.T) {
	f := newFixture(t)
	texts := []string{"invoice 42", "total due", "thank you"}
	var file strings.Builder
	for i, s := range texts {
		key := fmt.Sprintf("lines/%d.png", i)
		f.put(f.spec.InputBucket, key, textimg.PNG(s, textimg.Options{}))
		fmt.Fprintf(&file, `{"id": %d, "s3": "s3://%s/%s"}`+"\n", 100+i, f.spec.InputBucket, key)
	}
	fmt.Fprintf(&file, `{"id": 199, "s3": "s3://%s/lines/none.png"}`+"\n", f.spec.InputBucket)
	f.put(f.spec.InputBucket, "ocr/pointers.ndjson", []byte(file.String()))
	f.w.Config.Routes = Routes{{Prefix: "ocr/", Model: "ppocr-rec"}}
	if retry := f.invoke(f.ctx, message("m", s3Notification(f.spec.InputBucket, "ocr/pointers.ndjson", "e1"), 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	rec := f.item(jobs.ObjectJobID(f.spec.InputBucket, "ocr/pointers.ndjson", "", "e1"))
	if rec == nil || rec.Model != "ppocr-rec" {
		t.Fatalf("item %+v, want routed to ppocr-rec", rec)
	}
	lines := f.outputLines(rec.OutputURI)
	checkLines(t, lines, []jobs.Code{"", "", "", jobs.CodeInputMissing}, func(i int) any { return []int{100, 101, 102, 199}[i] })
	for i, s := range texts {
		if got := lines[i]["output"].(map[string]any)["text"]; got != s {
			t.Errorf("line %d text %q, want %q", i, got, s)
		}
	}
}

// TestRecordFileContinuesAcrossShortInvocations runs a file of three parts'
// worth of output through invocations too short to finish it: each one
// commits what it can, and the file ends exactly once, whole.
func TestRecordFileContinuesAcrossShortInvocations(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			f := newFixture(t)
			file, want := plantedJSONL(150_000)
			file = bytes.ReplaceAll(file, []byte("BUCKET"), []byte(f.spec.InputBucket))
			key := "big/file.jsonl"
			if gz {
				var z bytes.Buffer
				zw := gzip.NewWriter(&z)
				zw.Write(file)
				zw.Close()
				file, key = z.Bytes(), key+".gz"
			}
			f.put(f.spec.InputBucket, key, file)
			// 700 ms of work per invocation: less than 150,000 rows take
			// even idle (~185k rows/s at raw ONNX Runtime speed).
			rec, invocations, _ := f.shortRuns(key, 900*time.Millisecond, 200*time.Millisecond)
			if invocations < 2 || rec.Attempts < 2 {
				t.Fatalf("finished in %d invocation(s), attempts %d: the test needs a file that does not fit one", invocations, rec.Attempts)
			}
			checkLines(t, f.outputLines(rec.OutputURI), want, jsonlID)
			t.Logf("%d invocations, %d attempts", invocations, rec.Attempts)
		})
	}
}

func TestRecordFileUnreadableFailsTheJob(t *testing.T) {
	f := newFixture(t)
	f.put(f.spec.InputBucket, "broken.jsonl.gz", []byte("\x1f\x8b\x08\x00not really gzip"))
	body := inlineJob("gz-1", "iris-rf", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/broken.jsonl.gz"})
	missing := inlineJob("gone-1", "iris-rf", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/gone.csv"})
	f.w.Config.MaxRecordFileBytes = 1 << 20
	f.put(f.spec.InputBucket, "huge.csv", bytes.Repeat([]byte("1,2,3,4\n"), 200_000))
	huge := inlineJob("huge-1", "iris-rf", map[string]any{"s3": "s3://" + f.spec.InputBucket + "/huge.csv"})
	if retry := f.invoke(f.ctx, message("m1", body, 1), message("m2", missing, 1), message("m3", huge, 1)); len(retry) != 0 {
		t.Fatalf("retry %v", retry)
	}
	dl := f.deadLetters()
	for id, code := range map[string]jobs.Code{"gz-1": jobs.CodeMalformedJob, "gone-1": jobs.CodeInputMissing, "huge-1": jobs.CodeInputTooLarge} {
		if rec := f.item(id); rec == nil || rec.Status != store.StatusFailed || rec.Error.Code != code {
			t.Errorf("%s: item %+v, want FAILED %s", id, rec, code)
		}
		if attr(dl[id], "error_code") != string(code) {
			t.Errorf("%s: dead letter %v, want %s", id, dl[id].MessageAttributes, code)
		}
	}
}

// TestRecordFileOfLessThanAPartPerInvocationMovesOn runs a file whose
// invocations each yield less than an output part (5 MiB): each carries
// its lines forward instead of starting the file over, and the file ends
// whole, once.
func TestRecordFileOfLessThanAPartPerInvocationMovesOn(t *testing.T) {
	f := newFixture(t)
	file, want := plantedJSONL(60_000)
	file = bytes.ReplaceAll(file, []byte("BUCKET"), []byte(f.spec.InputBucket))
	f.put(f.spec.InputBucket, "small/rows.jsonl", file)
	// 150 ms of work per invocation: two of them (0.3 s) are less than the
	// 60,000 rows take at raw ONNX Runtime speed (~185k rows/s here), so
	// the file needs three or more however idle the machine (with a 100 ms
	// margin, an idle moment once finished it in two).
	rec, invocations, records := f.shortRuns("small/rows.jsonl", 350*time.Millisecond, 200*time.Millisecond)
	if invocations < 3 || len(records) < 2 {
		t.Fatalf("finished in %d invocation(s), records committed %v: the test needs invocations shorter than the file", invocations, records)
	}
	checkLines(t, f.outputLines(rec.OutputURI), want, jsonlID)
	t.Logf("%d invocations, records committed after each that moved on: %v", invocations, records)
}

// stalledPartSave is the results table with one fault: the first progress
// save that records an uploaded part hangs until its context ends, as a
// DynamoDB write does when the invocation runs out of time under load.
type stalledPartSave struct {
	*store.Results
	stalled atomic.Bool
}

func (s *stalledPartSave) SaveProgress(ctx context.Context, rec store.Record, until time.Time) error {
	if p := rec.Progress; p != nil && len(p.Parts) > 0 && s.stalled.CompareAndSwap(false, true) {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.Results.SaveProgress(ctx, rec, until)
}

// TestRecordFilePartSavedLateIsNotCarriedToo: a part uploaded whose
// progress save then ran out of time holds its lines; the pause must not
// also carry them over, or the next part writes them a second time.
func TestRecordFilePartSavedLateIsNotCarriedToo(t *testing.T) {
	f := newFixture(t)
	stalled := &stalledPartSave{Results: f.table}
	f.w.Results = stalled
	file, want := plantedJSONL(60_000) // a part and a bit
	file = bytes.ReplaceAll(file, []byte("BUCKET"), []byte(f.spec.InputBucket))
	f.put(f.spec.InputBucket, "late/rows.jsonl", file)
	rec, _, _ := f.shortRuns("late/rows.jsonl", 3*time.Second, f.w.Config.DeadlineMargin)
	if !stalled.stalled.Load() {
		t.Fatal("no progress save recorded a part: the file fits no part, the test needs a bigger one")
	}
	checkLines(t, f.outputLines(rec.OutputURI), want, jsonlID)
}

// shortRuns invokes the job of the record file key in invocations of
// budget each, the worker keeping margin of it to save, until the job's
// item is SUCCEEDED. The budgets are what a test proves, the machine's
// speed is not: an invocation that commits nothing new (on a loaded
// machine its save did not fit the margin) makes the next budget and
// margin half as long again, up to 16 times, and a lease left by a failed
// release is waited out. It fails the test when the committed records go
// back, or after 12 invocations in a row without progress. It returns the
// final item, the invocations it took and the records committed after each
// one that moved the file on.
func (f *fixture) shortRuns(key string, budget, margin time.Duration) (rec *store.Record, invocations int, records []int64) {
	f.t.Helper()
	id := jobs.ObjectJobID(f.spec.InputBucket, key, "", "e1")
	scale, stalls, last := 1.0, 0, int64(0)
	for invocations = 1; ; invocations++ {
		f.w.Config.DeadlineMargin = time.Duration(float64(margin) * scale)
		ctx, cancel := context.WithTimeout(f.ctx, time.Duration(float64(budget)*scale))
		f.invoke(ctx, message(fmt.Sprintf("m%d", invocations), s3Notification(f.spec.InputBucket, key, "e1"), 1))
		cancel()
		if rec = f.item(id); rec != nil && rec.Status == store.StatusSucceeded {
			return rec, invocations, records
		}
		var n int64
		if rec != nil && rec.Progress != nil {
			n = rec.Progress.Records
		}
		switch {
		case n < last:
			f.t.Fatalf("progress went back to %d records after %v", n, records)
		case n > last:
			records, last, stalls = append(records, n), n, 0
		default:
			if stalls++; stalls == 12 {
				f.t.Fatalf("%d invocations in a row committed nothing (budget %s); committed after each before: %v; item %+v",
					stalls, time.Duration(float64(budget)*scale), records, rec)
			}
			scale = min(scale*1.5, 16)
		}
		if rec != nil && rec.LeaseExpiresAt > 0 {
			time.Sleep(min(time.Until(time.UnixMilli(rec.LeaseExpiresAt+1)), 35*time.Second))
		}
	}
}
