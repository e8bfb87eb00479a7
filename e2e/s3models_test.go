package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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
