package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/pinned"
	"github.com/batchinfer/batchinfer/tensor"
)

// Isolator runs suspected crashers apart. An input that kills the process
// (a native fault in ONNX Runtime, the OOM killer) takes its whole batch
// down with it on every delivery, and its neighbours would reach
// maxReceiveCount with it. A job delivered again without an outcome is a
// suspect (markSuspects); suspects run in a child process of the same
// binary, and a child that dies is bisected until the crasher is alone:
// that job alone fails, permanently, with inference_crashed.
type Isolator struct {
	// Command returns the child: this binary's `isolate` subcommand
	// (ServeIsolated), reading a request on stdin and answering on stdout.
	Command func(ctx context.Context) *exec.Cmd
	// Dirs are the local folders of the models, by name, that the child
	// loads (S3 models from the worker's own cache: no AWS call).
	Dirs map[string]string
}

type isolateRequest struct {
	Models map[string]string `json:"models"`
	Items  []isolateItem     `json:"items"`
}

// isolateItem is one input on its way to the child: its bytes, its text,
// or its tensors as the Open Inference Protocol request the child parses.
type isolateItem struct {
	Model    string          `json:"model"`
	Data     []byte          `json:"data,omitempty"`
	Text     *string         `json:"text,omitempty"`
	TextPair *string         `json:"text_pair,omitempty"`
	Tensors  json.RawMessage `json:"tensors,omitempty"`
}

// isolateAnswer is one line from the child: ready once its models are
// loaded, then the predictions.
type isolateAnswer struct {
	Ready       bool                `json:"ready,omitempty"`
	Predictions []isolatePrediction `json:"predictions,omitempty"`
}

type isolatePrediction struct {
	Output    map[string]any `json:"output,omitempty"`
	BatchSize int            `json:"batch_size,omitempty"`
	Code      jobs.Code      `json:"code,omitempty"`
	Message   string         `json:"message,omitempty"`
}

// errCrashed is a child that died after its models were loaded and before
// it answered: one of its inputs killed it.
var errCrashed = errors.New("the isolated process died while running its inputs")

// Predict runs items in child processes: all together first, then, when
// the child dies, each half again, down to single items. Only an item that
// kills a child alone gets inference_crashed; a child that cannot even
// start (or the deadline) leaves every item of it to a transient retry.
func (iso *Isolator) Predict(ctx context.Context, items []Item) []Prediction {
	preds := make([]Prediction, len(items))
	iso.bisect(ctx, items, preds)
	return preds
}

func (iso *Isolator) bisect(ctx context.Context, items []Item, out []Prediction) {
	got, err := iso.run(ctx, items)
	switch {
	case err == nil:
		copy(out, got)
	case errors.Is(err, errCrashed) && len(items) == 1:
		out[0].Err = jobs.Wrap(jobs.CodeInferenceCrashed, err, "input crashed the inference process when run alone")
	case errors.Is(err, errCrashed):
		half := len(items) / 2
		iso.bisect(ctx, items[:half], out[:half])
		iso.bisect(ctx, items[half:], out[half:])
	default:
		for i := range out {
			out[i].Err = err
		}
	}
}

// run sends items to one child and reads its answer.
func (iso *Isolator) run(ctx context.Context, items []Item) ([]Prediction, error) {
	req := isolateRequest{Models: map[string]string{}, Items: make([]isolateItem, len(items))}
	for i, it := range items {
		name := it.Model.Name()
		req.Models[name], req.Items[i] = iso.Dirs[name], isolateItem{Model: name, Data: it.Data}
		if it.Text != nil {
			req.Items[i].Text, req.Items[i].TextPair = &it.Text.Text, it.Text.Pair
		}
		if it.Tensors != nil {
			req.Items[i].Tensors = model.TensorRequestJSON(it.Tensors)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, jobs.Wrap(jobs.CodeInternal, err, "encode the inputs for the isolated process")
	}
	cmd := iso.Command(ctx)
	cmd.Stdin = bytes.NewReader(body)
	// The child answers, then exits: its answer is read once it is gone.
	// (Not through StdoutPipe: pinned waits for the child at once, and Wait
	// closes such a pipe when the child exits, perhaps before it is read.)
	var answer bytes.Buffer
	cmd.Stdout = &answer
	cmd.WaitDelay = time.Second
	// pinned: the child dies with its parent, so a killed function leaves
	// no orphan.
	child, err := pinned.Start(cmd)
	if err != nil {
		return nil, jobs.Wrap(jobs.CodeInternal, err, "start the isolated process")
	}
	waitErr := child.Wait()
	ready, preds, readErr := readAnswers(&answer, items)
	switch {
	case ctx.Err() != nil:
		return nil, jobs.Wrap(jobs.CodeDeadline, ctx.Err(), "isolated run stopped: the invocation is running out of time")
	case preds != nil && readErr == nil:
		return preds, nil
	case ready:
		return nil, fmt.Errorf("%w (%v)", errCrashed, errors.Join(waitErr, readErr))
	}
	return nil, jobs.Wrap(jobs.CodeInternal, errors.Join(waitErr, readErr), "isolated process failed before it loaded its models")
}

// readAnswers reads the child's ready line, then its predictions.
func readAnswers(r io.Reader, items []Item) (ready bool, preds []Prediction, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var a isolateAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return ready, nil, fmt.Errorf("read the isolated process's answer: %w", err)
		}
		if a.Ready {
			ready = true
			continue
		}
		if len(a.Predictions) != len(items) {
			return ready, nil, fmt.Errorf("isolated process answered %d predictions for %d inputs", len(a.Predictions), len(items))
		}
		preds = make([]Prediction, len(items))
		for i, p := range a.Predictions {
			preds[i] = Prediction{Output: p.Output, BatchSize: p.BatchSize}
			if p.Code != "" {
				preds[i].Err = jobs.Errorf(p.Code, "%s", p.Message)
			}
		}
		return ready, preds, nil
	}
	return ready, nil, sc.Err()
}

// ServeIsolated is the child's side (`batchinfer isolate`): read one
// request from in, load its models (ONNX Runtime already initialised),
// say ready, run the inputs as one Predict call and answer on out.
func ServeIsolated(ctx context.Context, in io.Reader, out io.Writer, opts model.Options) error {
	var req isolateRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return fmt.Errorf("isolate: read the request: %w", err)
	}
	var ms []*model.Model
	for name, dir := range req.Models {
		opts.Name = name // a folder without a manifest is named as the parent named it
		m, err := model.Load(dir, opts)
		if err != nil {
			return fmt.Errorf("isolate: load model %s from %s: %w", name, dir, err)
		}
		ms = append(ms, m)
	}
	eng, err := New(ms)
	if err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	enc := json.NewEncoder(out)
	if err := enc.Encode(isolateAnswer{Ready: true}); err != nil {
		return fmt.Errorf("isolate: answer: %w", err)
	}
	items := make([]Item, len(req.Items))
	for i, it := range req.Items {
		m, err := eng.Model(it.Model)
		if err != nil {
			return fmt.Errorf("isolate: %w", err)
		}
		items[i] = Item{Model: m, Input: it.input()}
	}
	ans := isolateAnswer{Predictions: make([]isolatePrediction, len(items))}
	for i, p := range eng.Predict(ctx, items) {
		ans.Predictions[i] = isolatePrediction{Output: p.Output, BatchSize: p.BatchSize}
		if p.Err != nil {
			ans.Predictions[i].Code, ans.Predictions[i].Message = jobs.CodeOf(p.Err), jobs.MessageOf(p.Err)
		}
	}
	if err := enc.Encode(ans); err != nil {
		return fmt.Errorf("isolate: answer: %w", err)
	}
	return nil
}

// input is the item as the child's model takes it (a tensor request that
// does not parse, which the parent parsed before, becomes its error).
func (it isolateItem) input() model.Input {
	switch {
	case it.Text != nil:
		return model.Input{Text: &model.Text{Text: *it.Text, Pair: it.TextPair}}
	case it.Tensors != nil:
		in, err := FileInput("request.json", it.Tensors)
		if err != nil {
			return model.Input{Tensors: []tensor.Named{}}
		}
		return in
	}
	return model.Input{Data: it.Data}
}
