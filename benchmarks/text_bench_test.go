package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textmodels"
)

// BenchmarkTextPredictVsTransformersJS embeds the same texts with
// `batchinfer predict --model minilm-l6-bench -` (the real binary, {"text"}
// lines on stdin) and with transformers.js's feature-extraction pipeline in
// calls of 32 texts (mean pooling, normalised, the same maximum length),
// side by side in one run. Each side's time excludes loading the model:
// predict's own --stats predict_ms, and the time node measures around its
// pipeline calls.
//
//	go test -run '^$' -bench TextPredict -benchtime 1x ./benchmarks/
func BenchmarkTextPredictVsTransformersJS(b *testing.B) {
	bin := bootstrap(b)
	dir := textmodels.Dir(b, "minilm-l6-bench")
	texts := textmodels.Corpus(256)
	var in strings.Builder
	inputs := make([]textmodels.Input, len(texts))
	for i, s := range texts {
		line, _ := json.Marshal(map[string]string{"text": s})
		in.Write(append(line, '\n'))
		inputs[i] = textmodels.Input{Text: s}
	}
	var oursSec, refSec float64
	for b.Loop() {
		cmd := exec.Command(bin, "predict", "--stats", "--model", dir, "-")
		cmd.Env = append(cmd.Environ(), "ONNXRUNTIME_LIB="+testenv.ORTLib(b))
		cmd.Stdin = strings.NewReader(in.String())
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			b.Fatalf("predict: %v\n%s", err, errb.String())
		}
		if n := bytes.Count(out.Bytes(), []byte(`"embedding"`)); n != len(texts) {
			b.Fatalf("predict embedded %d of %d texts", n, len(texts))
		}
		var st struct {
			PredictMS float64 `json:"predict_ms"`
		}
		if err := json.Unmarshal(lastLine(errb.Bytes()), &st); err != nil {
			b.Fatalf("predict --stats: %v: %s", err, errb.String())
		}
		oursSec += st.PredictMS / 1000

		res, err := textmodels.Reference(context.Background(), textmodels.Request{
			Model: dir, Task: "feature-extraction", Inputs: inputs, Batch: 32, Repeat: 1, MaxLength: 128,
			Options: map[string]any{"pooling": "mean", "normalize": true},
		})
		if err != nil {
			b.Fatal(err)
		}
		refSec += res.Seconds
	}
	n := float64(len(texts) * b.N)
	b.ReportMetric(n/oursSec, "predict-texts/s")
	b.ReportMetric(n/refSec, "transformersjs-texts/s")
	b.ReportMetric(refSec/oursSec, "x")
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}
