package e2e

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// poison is one job of a permanent failure.
type poison struct {
	name, body, jobID string // jobID "" = the SQS message id
	code              jobs.Code
}

// poisonJobs uploads what the poison jobs name and returns one job of
// each permanent failure (maxInput: the worker's input cap).
func (s *system) poisonJobs(maxInput int) []poison {
	png := textimg.PNG("a corrupt line", textimg.Options{})
	corrupt := s.putObject(s.spec.InputBucket, "poison/corrupt scan.png", png[:len(png)/2])
	big := make([]byte, 2*maxInput)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	oversize := s.putObject(s.spec.InputBucket, "poison/huge.png", append(bytes.Clone(png[:8]), big...))
	missing := object{Key: "poison/never uploaded.png", ETag: "0123456789abcdef0123456789abcdef", Size: 1234}
	missing.JobID = jobs.ObjectJobID(s.spec.InputBucket, missing.Key, "", missing.ETag)
	const otherBucket = "not-an-input-bucket"
	elsewhere := object{Key: "line.png", ETag: "fedcba9876543210fedcba9876543210", Size: 99}
	elsewhere.JobID = jobs.ObjectJobID(otherBucket, elsewhere.Key, "", elsewhere.ETag)
	latin1 := s.putObject(s.spec.InputBucket, "poison/latin1.txt", []byte("caf\xe9 cr\xe8me"))

	return []poison{
		{"corrupt image", notification(s.spec.InputBucket, corrupt), corrupt.JobID, jobs.CodeUndecodableImage},
		{"invalid JSON", `{"job_id": "p-json", "input": {"features": [1, 2,`, "", jobs.CodeMalformedJob},
		{"unknown model", `{"job_id": "p-model", "model": "resnet-9000", "input": {"features": [1, 2, 3, 4]}}`, "p-model", jobs.CodeUnknownModel},
		{"missing object", notification(s.spec.InputBucket, missing), missing.JobID, jobs.CodeInputMissing},
		{"disallowed bucket", notification(otherBucket, elsewhere), elsewhere.JobID, jobs.CodeBucketNotAllowed},
		{"oversize object", notification(s.spec.InputBucket, oversize), oversize.JobID, jobs.CodeInputTooLarge},
		{"wrong feature count", irisJob("p-features", []float64{5.1, 3.5, 1.4}), "p-features", jobs.CodeWrongFeatureCount},
		{"tensor of the wrong shape", `{"job_id": "p-tensor", "model": "iris-rf", "input": {"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}}`, "p-tensor", jobs.CodeInvalidTensor},
		{"text object not UTF-8", notification(s.spec.InputBucket, latin1), latin1.JobID, jobs.CodeInvalidText},
	}
}

// TestPoisonJobs mixes one job of each permanent failure into good
// traffic: each poison job ends FAILED with its code and its original body
// in the DLQ (with error_code), its source message acknowledged, and every
// neighbour in the same invocations SUCCEEDED.
func TestPoisonJobs(t *testing.T) {
	const maxInput = 64 << 10
	s := newSystem(t, sysOptions{Env: []string{"BATCHINFER_MAX_INPUT_BYTES=65536"}})
	good := s.uploadLines(10, 21)
	irisIDs, irisBodies := irisJobs("ok", 40)

	poisons := s.poisonJobs(maxInput)
	// A good tensor request rides along: the model's raw outputs.
	tensorJob := `{"job_id": "ok-tensor", "model": "iris-rf", "input": {"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}}`

	// Poison sits between good jobs so each shares invocations with them.
	var bodies []string
	pos := map[int]int{} // index in bodies → index in poisons
	for i, b := range irisBodies {
		bodies = append(bodies, b)
		if i%4 == 1 {
			bodies = append(bodies, notification(s.spec.InputBucket, good[i/4]))
		}
		if i%4 == 2 && i/4 < len(poisons) {
			pos[len(bodies)] = i / 4
			bodies = append(bodies, poisons[i/4].body)
		}
	}
	bodies = append(bodies, tensorJob)
	if len(pos) != len(poisons) {
		t.Fatalf("placed %d of %d poison jobs", len(pos), len(poisons))
	}
	msgIDs := s.send(bodies...)
	for bi, pi := range pos {
		if poisons[pi].jobID == "" {
			poisons[pi].jobID = msgIDs[bi]
		}
	}

	var ids []string
	for _, p := range poisons {
		ids = append(ids, p.jobID)
	}
	ids = append(ids, irisIDs...)
	ids = append(ids, "ok-tensor")
	for _, o := range good {
		ids = append(ids, o.JobID)
	}
	recs := s.waitFinal(ids, 60*time.Second)
	s.waitQueueDrained(15 * time.Second)
	dlq := s.deadLetters()

	for _, p := range poisons {
		checkPoison(t, p, recs[p.jobID], dlq[p.jobID])
	}
	s.checkMetrics(recs, dlq)
	if len(dlq) != len(poisons) {
		t.Errorf("DLQ holds %d jobs, want exactly the %d poison ones", len(dlq), len(poisons))
	}
	s.checkSucceeded(irisIDs, good, recs)
	if out, _ := json.Marshal(recs["ok-tensor"].Output); recs["ok-tensor"].Status != store.StatusSucceeded || !strings.Contains(string(out), `{"data":[0,2],"datatype":"INT64","name":"output_label","shape":[2]}`) {
		t.Errorf("tensor job output %s, want labels 0 and 2", out)
	}
	// Failures are permanent: none was retried.
	for _, l := range s.jobLines() {
		if l.Status == "RETRY" {
			t.Errorf("job %s was retried (%s)", l.JobID, l.ErrorCode)
		}
	}
}

// checkPoison: the job ended FAILED with its code, and its original body
// is in the DLQ once, with error_code, error_message and source_message_id.
func checkPoison(t *testing.T, p poison, r *store.Record, dl []sqstypes.Message) {
	t.Helper()
	if r.Status != store.StatusFailed || r.Error == nil || r.Error.Code != p.code {
		t.Errorf("%s: item %s is %s with error %+v, want FAILED %s", p.name, p.jobID, r.Status, r.Error, p.code)
	}
	if len(dl) != 1 {
		t.Errorf("%s: %d DLQ messages for job %s, want 1", p.name, len(dl), p.jobID)
		return
	}
	if got := attr(dl[0], "error_code"); got != string(p.code) {
		t.Errorf("%s: DLQ error_code %q, want %q", p.name, got, p.code)
	}
	if got := aws.ToString(dl[0].Body); got != p.body {
		t.Errorf("%s: DLQ body %.100q, want the original %.100q", p.name, got, p.body)
	}
	if attr(dl[0], "error_message") == "" || attr(dl[0], "source_message_id") == "" {
		t.Errorf("%s: DLQ message lacks error_message or source_message_id: %v", p.name, dl[0].MessageAttributes)
	}
}
