package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
)

// predictChunk bounds memory when predicting many files: inputs are read
// and run this many at a time, still packed into max-batch tensor runs.
const predictChunk = 1024

// predictCmd runs a model on files and prints a line per input.
type predictCmd struct {
	model modelFlags
	stats bool
}

func (p *predictCmd) flags(fs *flag.FlagSet) {
	p.model.define(fs, "max rows per tensor run (default: the manifest's)")
	fs.BoolVar(&p.stats, "stats", false, "print a JSON line of timings (load, predict, a pipeline's stages) to stderr at the end")
}

func (p *predictCmd) run(ctx context.Context, c call) error {
	if p.model.dir == "" || len(c.args) == 0 {
		c.usage()
		return fmt.Errorf("%w: --model and at least one FILE are required", errUsage)
	}
	t0 := time.Now()
	m, err := p.model.load()
	if err != nil {
		return err
	}
	defer m.Close()
	st := predictStats{LoadMS: ms(time.Since(t0)), Phases: map[string]float64{}}
	eng, err := engine.New([]*model.Model{m})
	if err != nil {
		return err
	}
	eng.SetMaxBatch(p.model.batch)

	out := bufio.NewWriter(c.stdout)
	defer out.Flush()
	pr := &predictor{eng: eng, m: m, enc: json.NewEncoder(out), st: &st}
	for _, path := range c.args {
		if err := pr.input(ctx, path); err != nil {
			return err
		}
	}
	if err := pr.flush(ctx); err != nil {
		return err
	}
	if p.stats {
		return json.NewEncoder(c.stderr).Encode(st)
	}
	return nil
}

// predictor runs inputs in chunks and prints one line per input, in input
// order.
type predictor struct {
	eng   *engine.Engine
	m     *model.Model
	enc   *json.Encoder
	names []string
	items []engine.Item
	st    *predictStats
}

// input adds a file, or every line of stdin for "-".
func (p *predictor) input(ctx context.Context, path string) error {
	if path == "-" {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for n := 1; sc.Scan(); n++ {
			if err := p.addLine(ctx, fmt.Sprintf("stdin:%d", n), append([]byte(nil), sc.Bytes()...)); err != nil {
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

// addLine adds one line of stdin: a {"text": ...} or {"inputs": [...]}
// line as that input, any other line as bytes for the model's codec (a
// {"features": ...} row).
func (p *predictor) addLine(ctx context.Context, name string, line []byte) error {
	if in, _, err := jobs.DecodeRecordLine(line); err == nil && (in.Text != nil || in.Tensors != nil) {
		input, _ := engine.InputOf(in, nil) // a text or tensors: no bytes to judge
		return p.addInput(ctx, name, input)
	} else if err != nil && (jobs.CodeOf(err) == jobs.CodeInvalidText || jobs.CodeOf(err) == jobs.CodeInvalidTensor) {
		return p.addError(ctx, name, err)
	}
	return p.addInput(ctx, name, model.Input{Data: line})
}

// add adds a file: a .txt file is a text, a .json request of tensors
// tensors, anything else bytes (engine.FileInput).
func (p *predictor) add(ctx context.Context, name string, data []byte) error {
	in, err := engine.FileInput(name, data)
	if err != nil {
		return p.addError(ctx, name, err)
	}
	return p.addInput(ctx, name, in)
}

// addError prints an input's error line in input order.
func (p *predictor) addError(ctx context.Context, name string, err error) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.enc.Encode(map[string]any{"input": name, "error": map[string]string{
		"code": string(jobs.CodeOf(err)), "message": err.Error()}})
}

func (p *predictor) addInput(ctx context.Context, name string, in model.Input) error {
	p.names = append(p.names, name)
	p.items = append(p.items, engine.Item{Model: p.m, Input: in})
	if len(p.items) >= predictChunk {
		return p.flush(ctx)
	}
	return nil
}

// flush runs what has been added and prints its lines.
func (p *predictor) flush(ctx context.Context) error {
	t0 := time.Now()
	preds := p.eng.Predict(ctx, p.items)
	p.st.add(time.Since(t0), preds)
	for i, pred := range preds {
		line := map[string]any{"input": p.names[i]}
		if pred.Err != nil {
			line["error"] = map[string]string{"code": string(jobs.CodeOf(pred.Err)), "message": jobs.MessageOf(pred.Err)}
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

// predictStats is what --stats prints: milliseconds loading the model and
// inside Engine.Predict, and for a pipeline model each stage's runs (rows,
// runs, limit, milliseconds) and the CPU milliseconds per step of its
// inputs, summed.
type predictStats struct {
	LoadMS    float64            `json:"load_ms"`
	PredictMS float64            `json:"predict_ms"`
	Inputs    int                `json:"inputs"`
	Stages    []map[string]any   `json:"stages,omitempty"`
	Phases    map[string]float64 `json:"phases_ms,omitempty"`
}

func (s *predictStats) add(d time.Duration, preds []engine.Prediction) {
	s.PredictMS += ms(d)
	s.Inputs += len(preds)
	var stages []engine.StageStats
	for _, p := range preds {
		if p.Stages != nil {
			stages = p.Stages
		}
		for k, v := range p.Phases {
			s.Phases[k] += ms(v)
		}
	}
	for i, g := range stages {
		if i == len(s.Stages) {
			s.Stages = append(s.Stages, map[string]any{"name": g.Name, "max_batch": g.MaxBatch, "rows": 0, "runs": 0, "infer_ms": 0.0})
		}
		e := s.Stages[i]
		e["rows"], e["runs"], e["infer_ms"] = e["rows"].(int)+g.Rows, e["runs"].(int)+g.Runs, e["infer_ms"].(float64)+ms(g.Infer)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// modelFlags are the flags of the commands that run one model folder
// directly (predict, bench).
type modelFlags struct {
	dir            string
	batch, threads int
}

func (m *modelFlags) define(fs *flag.FlagSet, batchUsage string) {
	fs.StringVar(&m.dir, "model", "", "model folder holding manifest.json (required)")
	fs.IntVar(&m.batch, "batch", 0, batchUsage)
	fs.IntVar(&m.threads, "threads", 0, "ONNX Runtime intra-op threads (default: the CPUs this process may use)")
}

// load starts ONNX Runtime ($ONNXRUNTIME_LIB) and loads the folder.
func (m *modelFlags) load() (*model.Model, error) {
	if err := model.InitRuntime(os.Getenv("ONNXRUNTIME_LIB")); err != nil {
		return nil, err
	}
	return model.Load(m.dir, model.Options{IntraOpThreads: m.threads})
}
