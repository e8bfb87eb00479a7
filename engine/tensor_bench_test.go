package engine

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

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
	benchPasses(b, tensorRequestsPass(b, true))
}

// BenchmarkTensorPredict is BenchmarkTensorRequests without the JSON:
// engine.Predict from decoded requests to each one's response map
// (check, stack, run, split, gather).
func BenchmarkTensorPredict(b *testing.B) {
	benchPasses(b, tensorRequestsPass(b, false))
}

// BenchmarkTensorRawORT runs only ONNX Runtime on the same 256 rows,
// stacked into one [256,4] tensor before the clock starts, and reads both
// outputs into Go memory as any caller of onnxruntime_go must (the label
// tensor, and sklearn's seq(map) of probabilities as [256,3]): the ceiling
// of BenchmarkTensorRequests.
func BenchmarkTensorRawORT(b *testing.B) {
	benchPasses(b, rawORTPass(b))
}

// BenchmarkTensorSideBySide alternates a pass of raw ORT and a pass of
// tensor requests in every iteration, in one process, so that load from
// other work on a shared machine falls on both sides alike, and reports
// each side's items/s and CPU per item and the ratios (requests ÷ raw
// items/s, raw ÷ requests CPU per item: 1 means no cost over raw ORT).
// "requests" is BenchmarkTensorRequests' path, "predict"
// BenchmarkTensorPredict's.
func BenchmarkTensorSideBySide(b *testing.B) {
	b.Run("requests", func(b *testing.B) { benchSideBySide(b, true) })
	b.Run("predict", func(b *testing.B) { benchSideBySide(b, false) })
}

func benchSideBySide(b *testing.B, withJSON bool) {
	passes := []func(){rawORTPass(b), tensorRequestsPass(b, withJSON)}
	var wall, cpu [2]time.Duration
	for b.Loop() {
		for side, pass := range passes {
			t0, c0 := time.Now(), processCPU()
			pass()
			wall[side] += time.Since(t0)
			cpu[side] += processCPU() - c0
		}
	}
	items := float64(tensorBenchRows * b.N)
	b.ReportMetric(items/wall[0].Seconds(), "raw-items/s")
	b.ReportMetric(items/wall[1].Seconds(), "req-items/s")
	b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "ratio")
	b.ReportMetric(float64(cpu[0])/items, "raw-cpu-ns/item")
	b.ReportMetric(float64(cpu[1])/items, "req-cpu-ns/item")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "cpu-ratio")
}

// benchPasses times one pass (of tensorBenchRows items) per iteration.
func benchPasses(b *testing.B, pass func()) {
	cpu := startCPU()
	for b.Loop() {
		pass()
	}
	b.ReportMetric(float64(tensorBenchRows*b.N)/b.Elapsed().Seconds(), "items/s")
	cpu.report(b, tensorBenchRows*b.N)
}

// tensorRequestsPass is one pass of the engine's path over 256 tensor
// requests: with the JSON (decode each body, encode each response) or
// from decoded requests to response maps.
func tensorRequestsPass(b *testing.B, withJSON bool) func() {
	iris := models[0]
	eng, err := New([]*model.Model{iris})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, tensorBenchRows)
	items := make([]Item, tensorBenchRows)
	for i := range bodies {
		req := []tensor.Named{{Name: "X", Tensor: tensor.Tensor{Shape: []int64{1, 4}, Data: irisRow(i)}}}
		bodies[i] = model.TensorRequestJSON(req)
		items[i] = Item{Model: iris, Input: model.Input{Tensors: req}}
	}
	ctx := context.Background()
	return func() {
		for i, body := range bodies {
			if !withJSON {
				break // the items hold the decoded requests
			}
			ts, err := jobs.ParseTensorRequest(body)
			if err != nil {
				b.Fatal(err)
			}
			items[i] = Item{Model: iris, Input: model.Input{Tensors: tensorsOf(ts)}}
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

// rawORTPass is one run of ONNX Runtime on the 256 rows, stacked before.
func rawORTPass(b *testing.B) func() {
	iris := models[0]
	data := make([]float32, 0, tensorBenchRows*4)
	for i := range tensorBenchRows {
		data = append(data, irisRow(i)...)
	}
	in := []model.Tensor{{Shape: []int64{tensorBenchRows, 4}, Data: data}}
	ctx := context.Background()
	return func() {
		if _, err := iris.RunInputs(ctx, in); err != nil {
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
