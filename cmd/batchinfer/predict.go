package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("predict", "run a model on files (or tabular JSON lines from stdin) and print JSON lines", runPredict)
}

// predictChunk bounds memory when predicting many files: inputs are read
// and run this many at a time, still packed into max-batch tensor runs.
const predictChunk = 1024

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", stderr, "--model DIR [--batch N] FILE... (- reads JSON lines from stdin)")
	dir := fs.String("model", "", "model folder holding manifest.json (required)")
	batch := fs.Int("batch", 0, "max rows per tensor run (default: the manifest's)")
	threads := fs.Int("threads", 0, "ONNX Runtime intra-op threads (default: the CPUs this process may use)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: --model and at least one FILE are required", errUsage)
	}
	m, err := loadModel(*dir, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	eng, err := worker.NewEngine([]*model.Model{m})
	if err != nil {
		return err
	}
	eng.SetMaxBatch(*batch)

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	var names []string
	var items []worker.Item
	flush := func() error {
		preds := eng.Predict(ctx, items)
		for i, p := range preds {
			line := map[string]any{"input": names[i]}
			if p.Err != nil {
				line["error"] = map[string]string{"code": string(jobs.CodeOf(p.Err)), "message": p.Err.Error()}
			} else {
				line["model"], line["model_version"], line["output"] = m.Name(), m.Version(), p.Output
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		names, items = names[:0], items[:0]
		return ctx.Err()
	}
	add := func(name string, data []byte) error {
		names = append(names, name)
		items = append(items, worker.Item{Model: m, Data: data})
		if len(items) >= predictChunk {
			return flush()
		}
		return nil
	}
	for _, path := range fs.Args() {
		if path == "-" {
			sc := bufio.NewScanner(stdin)
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for n := 1; sc.Scan(); n++ {
				if err := add(fmt.Sprintf("stdin:%d", n), append([]byte(nil), sc.Bytes()...)); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			// A missing file is that input's error, not the run's; flush
			// first so lines stay in input order.
			if err := flush(); err != nil {
				return err
			}
			if err := enc.Encode(map[string]any{"input": path, "error": map[string]string{
				"code": string(jobs.CodeInputMissing), "message": err.Error()}}); err != nil {
				return err
			}
			continue
		}
		if err := add(path, data); err != nil {
			return err
		}
	}
	return flush()
}

// loadModel starts ONNX Runtime ($ONNXRUNTIME_LIB) and loads one model
// folder, for the commands that run a model directly.
func loadModel(dir string, threads int) (*model.Model, error) {
	if err := model.InitRuntime(os.Getenv("ONNXRUNTIME_LIB")); err != nil {
		return nil, err
	}
	return model.Load(dir, model.Options{IntraOpThreads: threads})
}
