package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Models named by s3:// prefixes in BATCHINFER_MODELS are copied to the
// function's /tmp cache at init and served like local folders.
func TestModelsFromS3Prefixes(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"iris-rf"}, ModelsFromS3: true})
	ids, bodies := irisJobs("s3model", 20)
	s.send(bodies...)
	recs := s.waitFinal(ids, 60*time.Second)
	for _, id := range ids {
		s.checkIris(id, recs[id])
	}
	s.checkOncePerJob(ids, recs, 1)
	// The copy the function loaded: one folder per prefix, with the model.
	matches, _ := filepath.Glob(filepath.Join(s.modelCache, "*", "manifest.json"))
	if len(matches) != 1 {
		t.Fatalf("model cache holds %v, want one downloaded model folder", matches)
	}
	onnx := filepath.Join(filepath.Dir(matches[0]), "sklearn_randomforest.onnx")
	if st, err := os.Stat(onnx); err != nil || st.Size() == 0 {
		t.Errorf("the .onnx file was not downloaded: %v", err)
	}
}

// A prefix holding only an .onnx file, in a subfolder as Hugging Face lays
// it out, is a tensor model named for the prefix: it answers tensor
// requests with ONNX Runtime's outputs and refuses anything else.
func TestBareONNXFolderFromS3(t *testing.T) {
	onnx, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "model", "testdata", "tiny_encoder.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSystem(t, sysOptions{Models: []string{"iris-rf"}, FolderModels: map[string]map[string][]byte{"encoder": {"onnx/model.onnx": onnx}}})
	ok := `{"job_id": "bare-ok", "model": "encoder", "input": {"inputs": [
		{"name": "input_ids", "shape": [1, 3], "datatype": "INT64", "data": [101, 7592, 102]},
		{"name": "attention_mask", "shape": [1, 3], "datatype": "INT64", "data": [1, 1, 0]}]}}`
	bad := `{"job_id": "bare-bad", "model": "encoder", "input": {"features": [1, 2]}}`
	s.send(ok, bad)
	recs := s.waitFinal([]string{"bare-ok", "bare-bad"}, 60*time.Second)
	out, _ := json.Marshal(recs["bare-ok"].Output)
	want := `{"outputs":[{"data":[101,1,7592,1,102,0],"datatype":"FP32","name":"last_hidden_state","shape":[1,3,2]}]}`
	if r := recs["bare-ok"]; r.Status != store.StatusSucceeded || string(out) != want || r.ModelVersion == "" {
		t.Errorf("tensor job: %s version %q output %s, want %s", r.Status, r.ModelVersion, out, want)
	}
	if r := recs["bare-bad"]; r.Status != store.StatusFailed || r.Error == nil || r.Error.Code != jobs.CodeInvalidTensor {
		t.Errorf("features to a tensor model: %+v, want FAILED invalid_tensor", r)
	}
}
