package worker

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// s3BatchEvent is aws-lambda-go's own schema 2.0 sample with its tasks
// pointed at the fixture's objects.
func (f *fixture) s3BatchEvent(keys ...string) []byte {
	f.t.Helper()
	raw, err := os.ReadFile("../jobs/testdata/s3batch/s3-batch-job-event-request-2.0.json")
	if err != nil {
		f.t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		f.t.Fatal(err)
	}
	sample := ev["tasks"].([]any)[0].(map[string]any)
	var tasks []any
	for i, k := range keys {
		t := map[string]any{}
		for name, v := range sample {
			t[name] = v
		}
		t["taskId"], t["s3Key"], t["s3VersionId"], t["s3Bucket"] = "task-"+string(rune('a'+i)), k, nil, f.spec.InputBucket
		tasks = append(tasks, t)
	}
	ev["tasks"] = tasks
	b, _ := json.Marshal(ev)
	return b
}

func TestS3BatchOperationsAnswersPerTask(t *testing.T) {
	f := newFixture(t)
	f.put(f.spec.InputBucket, "lines/a.png", textimg.PNG("batch ops", textimg.Options{}))
	f.put(f.spec.InputBucket, "tab/rows.jsonl", []byte(`{"features": [5.1, 3.5, 1.4, 0.2]}`+"\n"+`{"features": [1]}`+"\n"))
	f.w.Config.Routes = Routes{{Prefix: "lines/", Model: "ppocr-rec"}}
	out, err := f.w.Handle(f.ctx, f.s3BatchEvent("lines/a.png", "lines/missing.png", "tab/rows.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := out.(events.S3BatchJobResponse)
	if !ok {
		t.Fatalf("answered %T, want events.S3BatchJobResponse", out)
	}
	if resp.InvocationSchemaVersion != "2.0" || resp.InvocationID == "" || len(resp.Results) != 3 {
		t.Fatalf("response %+v", resp)
	}
	want := []jobs.S3BatchResultCode{jobs.S3BatchSucceeded, jobs.S3BatchPermanentFailure, jobs.S3BatchSucceeded}
	for i, r := range resp.Results {
		if jobs.S3BatchResultCode(r.ResultCode) != want[i] || r.TaskID != "task-"+string(rune('a'+i)) {
			t.Errorf("task %d: %+v, want %s", i, r, want[i])
		}
	}
	okID := jobs.ObjectJobID(f.spec.InputBucket, "lines/a.png", "", "")
	if resp.Results[0].ResultString != okID {
		t.Errorf("result string %q, want the job id %s", resp.Results[0].ResultString, okID)
	}
	if rec := f.item(okID); rec == nil || rec.Status != store.StatusSucceeded || rec.Output["text"] != "batch ops" {
		t.Errorf("item %+v", rec)
	}
	file := f.item(jobs.ObjectJobID(f.spec.InputBucket, "tab/rows.jsonl", "", ""))
	if file == nil || file.Status != store.StatusSucceeded || file.Output["failed"] != 1.0 && file.Output["failed"] != int64(1) {
		t.Errorf("record file item %+v", file)
	}

	// A transient failure is a TemporaryFailure, for Batch Operations to retry.
	f.w.Inputs = failingInputs{}
	f.put(f.spec.InputBucket, "lines/b.png", textimg.PNG("later", textimg.Options{}))
	ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
	defer cancel()
	out, _ = f.w.Handle(ctx, f.s3BatchEvent("lines/b.png"))
	if r := out.(events.S3BatchJobResponse).Results[0]; jobs.S3BatchResultCode(r.ResultCode) != jobs.S3BatchTemporaryFailure {
		t.Errorf("transient: %+v, want TemporaryFailure", r)
	}
}
