package engine

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/tensor"
)

// tensorBenchRows is how many Open Inference Protocol requests of one iris
// row each the tensor benchmarks run: one full pack of the model's batch.
const tensorBenchRows = 256

// irisRow is row i of the benchmark's inputs: four features.
func irisRow(i int) []float32 {
	return []float32{4 + float32(i%4) + 0.1, 3.5, 1.4, 0.2}
}

// BenchmarkTensorRequests is the engine's whole path for tensor requests
// (issue 17 §4), as a real request pays it: 256 Open Inference Protocol
// request bodies of shape [1,4], each decoded from JSON, checked against
// the session's inputs, stacked into one run, split back into each
// request's outputs and encoded as the JSON response. Compare with
// BenchmarkTensorRawORT in the same run (or see BenchmarkTensorSideBySide).
func BenchmarkTensorRequests(b *testing.B) {
	c := irisCase(b)
	benchPasses(b, c, tensorRequestsPass(b, c, true))
}

// BenchmarkTensorPredict is BenchmarkTensorRequests without the JSON:
// engine.Predict from decoded requests to each one's response map
// (check, stack, run, split, gather).
func BenchmarkTensorPredict(b *testing.B) {
	c := irisCase(b)
	benchPasses(b, c, tensorRequestsPass(b, c, false))
}

// BenchmarkTensorRawORT runs only ONNX Runtime on the same 256 rows,
// stacked into one [256,4] tensor before the clock starts, and reads both
// outputs into Go memory as any caller of onnxruntime_go must (the label
// tensor, and sklearn's seq(map) of probabilities as [256,3]): the ceiling
// of BenchmarkTensorRequests.
func BenchmarkTensorRawORT(b *testing.B) {
	c := irisCase(b)
	benchPasses(b, c, rawORTPass(b, c))
}

// BenchmarkTensorSideBySide alternates a pass of raw ORT and a pass of
// tensor requests in every iteration, in one process, so that load from
// other work on a shared machine falls on both sides alike, and reports
// each side's items/s and CPU per item and the ratios (requests ÷ raw
// items/s, raw ÷ requests CPU per item: 1 means no cost over raw ORT).
// "requests" is BenchmarkTensorRequests' path, "predict"
// BenchmarkTensorPredict's; iris is the worst case (a row runs in a few
// µs, so a request's fixed costs weigh most), text the case tensor
// requests are for: a BERT encoder fed token ids as KServe and Triton
// clients send them (a text pass takes seconds: run it apart, with a
// small -benchtime, as docs/benchmarks.md does):
//
//	go test -run '^$' -bench 'TensorSideBySide/iris' -benchtime 300x ./engine/
//	go test -run '^$' -bench 'TensorSideBySide/^text/' -benchtime 2x ./engine/
func BenchmarkTensorSideBySide(b *testing.B) {
	b.Run("iris/requests", func(b *testing.B) { benchSideBySide(b, irisCase(b), true) })
	b.Run("iris/predict", func(b *testing.B) { benchSideBySide(b, irisCase(b), false) })
	b.Run("text/requests", func(b *testing.B) { benchSideBySide(b, textCase(b, textBenchModel, 32), true) })
	b.Run("text/predict", func(b *testing.B) { benchSideBySide(b, textCase(b, textBenchModel, 32), false) })
	b.Run("tinytext/requests", func(b *testing.B) { benchSideBySide(b, textCase(b, tinyTextModel, 256), true) })
	b.Run("tinytext/predict", func(b *testing.B) { benchSideBySide(b, textCase(b, tinyTextModel, 256), false) })
}

func benchSideBySide(b *testing.B, c tensorCase, withJSON bool) {
	passes := []func(){rawORTPass(b, c), tensorRequestsPass(b, c, withJSON)}
	var wall, cpu [2]time.Duration
	for b.Loop() {
		for side, pass := range passes {
			t0, c0 := time.Now(), processCPU()
			pass()
			wall[side] += time.Since(t0)
			cpu[side] += processCPU() - c0
		}
	}
	items := float64(len(c.requests) * b.N)
	b.ReportMetric(items/wall[0].Seconds(), "raw-items/s")
	b.ReportMetric(items/wall[1].Seconds(), "req-items/s")
	b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "ratio")
	b.ReportMetric(float64(cpu[0])/items, "raw-cpu-ns/item")
	b.ReportMetric(float64(cpu[1])/items, "req-cpu-ns/item")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "cpu-ratio")
}

// tensorCase is a model, its requests of one item each, and the same
// tensors stacked as one run of raw ORT takes them.
type tensorCase struct {
	model    *model.Model
	requests [][]tensor.Named
	stacked  []model.Tensor
}

// irisCase is 256 requests of one iris row, [1,4] FP32 each.
func irisCase(b *testing.B) tensorCase {
	c := tensorCase{model: models[0]}
	data := make([]float32, 0, tensorBenchRows*4)
	for i := range tensorBenchRows {
		c.requests = append(c.requests, []tensor.Named{{Name: "X", Tensor: tensor.Tensor{Shape: []int64{1, 4}, Data: irisRow(i)}}})
		data = append(data, irisRow(i)...)
	}
	c.stacked = []model.Tensor{{Shape: []int64{tensorBenchRows, 4}, Data: data}}
	return c
}

// Text requests are sequences of textBenchLen token ids, one per request
// as a client that tokenized its text sends them, on minilm-l6-bench
// (all-MiniLM-L6-v2's shape: 6 layers, hidden 384; a sequence takes
// about 40 ms of one core, so a pass is 32 of them) or minilm-embed (1
// layer, hidden 32: a run costs little beside its output's JSON).
const textBenchLen = 128

var (
	textBenchModel = modelenv.Shared("text/minilm-l6-bench")
	tinyTextModel  = modelenv.Shared("text/minilm-embed")
)

// textCase is n text requests to the model load gives: every input of
// the encoder (input_ids, attention_mask, token_type_ids) as INT64
// [1,128], the ids spread over the vocabulary, the mask all ones, the
// types zero.
func textCase(b *testing.B, load func(testing.TB) []*model.Model, n int) tensorCase {
	m := load(b)[0]
	c := tensorCase{model: m}
	specs := m.Manifest().Inputs
	stacked := make([][]int64, len(specs))
	for i := range n {
		req := make([]tensor.Named, len(specs))
		for k, s := range specs {
			v := make([]int64, textBenchLen)
			for j := range v {
				switch s.Name {
				case "input_ids":
					v[j] = int64(1000 + (i*7919+j*104729)%29000)
				case "attention_mask":
					v[j] = 1
				}
			}
			req[k] = tensor.Named{Name: s.Name, Tensor: tensor.Tensor{Shape: []int64{1, textBenchLen}, Data: v}}
			stacked[k] = append(stacked[k], v...)
		}
		c.requests = append(c.requests, req)
	}
	for _, v := range stacked {
		c.stacked = append(c.stacked, model.Tensor{Shape: []int64{int64(n), textBenchLen}, Data: v})
	}
	return c
}

// benchPasses times one pass (of the case's requests) per iteration.
func benchPasses(b *testing.B, c tensorCase, pass func()) {
	cpu := startCPU()
	for b.Loop() {
		pass()
	}
	b.ReportMetric(float64(len(c.requests)*b.N)/b.Elapsed().Seconds(), "items/s")
	cpu.report(b, len(c.requests)*b.N)
}

// tensorRequestsPass is one pass of the engine's path over the case's
// tensor requests: with the JSON (decode each body, encode each response)
// or from decoded requests to response maps.
func tensorRequestsPass(b *testing.B, c tensorCase, withJSON bool) func() {
	eng, err := New([]*model.Model{c.model})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, len(c.requests))
	items := make([]Item, len(c.requests))
	for i, req := range c.requests {
		bodies[i] = model.TensorRequestJSON(req)
		items[i] = Item{Model: c.model, Input: model.Input{Tensors: req}}
	}
	ctx := context.Background()
	return func() {
		for i, body := range bodies {
			if !withJSON {
				break // the items hold the decoded requests
			}
			r, err := jobs.ParseTensorRequest(body)
			if err != nil {
				b.Fatal(err)
			}
			items[i] = Item{Model: c.model, Input: model.Input{Tensors: tensorsOf(r.Inputs)}}
		}
		for _, p := range eng.Predict(ctx, items) {
			if p.Err != nil {
				b.Fatal(p.Err)
			}
			if !withJSON {
				continue
			}
			if _, err := json.Marshal(p.Output); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// rawORTPass is one run of ONNX Runtime on the case's tensors, stacked
// before.
func rawORTPass(b *testing.B, c tensorCase) func() {
	ctx := context.Background()
	return func() {
		if _, err := c.model.RunInputs(ctx, c.stacked); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuClock is the process's CPU time (user and system, every thread) from
// where it started: on a machine shared with other work, wall-clock items/s
// swing with the load while the CPU time an item costs stays put, so the
// tensor benchmarks report both.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

// report adds cpu-ns/item: all CPU time since start, per item.
func (c cpuClock) report(b *testing.B, items int) {
	b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(items), "cpu-ns/item")
}

func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
