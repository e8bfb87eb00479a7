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
	p := &predictor{eng: eng, m: m, enc: json.NewEncoder(out)}
	for _, path := range fs.Args() {
		if err := p.input(ctx, path); err != nil {
			return err
		}
	}
	return p.flush(ctx)
}

// predictor runs inputs in chunks and prints one line per input, in input
// order.
type predictor struct {
	eng   *worker.Engine
	m     *model.Model
	enc   *json.Encoder
	names []string
	items []worker.Item
}

// input adds a file, or every line of stdin for "-".
func (p *predictor) input(ctx context.Context, path string) error {
	if path == "-" {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for n := 1; sc.Scan(); n++ {
			if err := p.add(ctx, fmt.Sprintf("stdin:%d", n), append([]byte(nil), sc.Bytes()...)); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		// A missing file is that input's error, not the run's; flush
		// first so lines stay in input order.
		if err := p.flush(ctx); err != nil {
			return err
		}
		return p.enc.Encode(map[string]any{"input": path, "error": map[string]string{
			"code": string(jobs.CodeInputMissing), "message": err.Error()}})
	}
	return p.add(ctx, path, data)
}

func (p *predictor) add(ctx context.Context, name string, data []byte) error {
	p.names = append(p.names, name)
	p.items = append(p.items, worker.Item{Model: p.m, Data: data})
	if len(p.items) >= predictChunk {
		return p.flush(ctx)
	}
	return nil
}

// flush runs what has been added and prints its lines.
func (p *predictor) flush(ctx context.Context) error {
	preds := p.eng.Predict(ctx, p.items)
	for i, pred := range preds {
		line := map[string]any{"input": p.names[i]}
		if pred.Err != nil {
			line["error"] = map[string]string{"code": string(jobs.CodeOf(pred.Err)), "message": pred.Err.Error()}
		} else {
			line["model"], line["model_version"], line["output"] = p.m.Name(), p.m.Version(), pred.Output
		}
		if err := p.enc.Encode(line); err != nil {
			return err
		}
	}
	p.names, p.items = p.names[:0], p.items[:0]
	return ctx.Err()
}

// loadModel starts ONNX Runtime ($ONNXRUNTIME_LIB) and loads one model
// folder, for the commands that run a model directly.
func loadModel(dir string, threads int) (*model.Model, error) {
	if err := model.InitRuntime(os.Getenv("ONNXRUNTIME_LIB")); err != nil {
		return nil, err
	}
	return model.Load(dir, model.Options{IntraOpThreads: threads})
}
