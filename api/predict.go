package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
)

// Engine is the inference core (engine.Engine).
type Engine interface {
	Model(name string) (*model.Model, error)
	Predict(ctx context.Context, items []engine.Item) []engine.Prediction
}

// Fetcher reads an S3 input (store.Inputs).
type Fetcher interface {
	Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error)
}

// Predictor answers predict requests now, with the engine the worker
// runs: nothing is queued and nothing is stored. One Predictor serves
// `batchinfer api` (with a Batcher: requests arriving together share a
// run) and the function's API Gateway proxy events (one request each).
type Predictor struct {
	Engine    Engine
	Inputs    Fetcher       // nil: s3 instances fail not_configured
	Buckets   []string      // the input bucket allowlist ("*": any)
	MaxInputs int           // instances per request; <= 0: DefaultPredictMaxInputs
	Timeout   time.Duration // per request; <= 0: DefaultPredictTimeout
	// Batcher, when set, lets concurrent requests share tensor runs.
	Batcher *Batcher
	// Features joins the entities' stored features (nil: an instance with
	// an entity for a model with a feature source fails not_configured).
	Features *features.Joiner
	// Reuse reads the results table's reuse entries (reuse.go) for models
	// whose manifests say "reuse": true or in ReuseModels
	// (BATCHINFER_REUSE_MODELS); nil: every instance runs.
	Reuse       ReuseLookup
	ReuseModels []string
}

// Predict defaults (settings declares the same).
const (
	DefaultPredictMaxInputs = 64
	DefaultPredictTimeout   = 10 * time.Second
	// MaxPredictBodyBytes is a predict request's largest body: Lambda's
	// synchronous payload limit, so both front doors take the same bodies.
	MaxPredictBodyBytes = 6 << 20
)

// NewPredictor reads the predict variables; eng serves the models.
func NewPredictor(getenv func(string) string, eng Engine, in Fetcher) (*Predictor, error) {
	e := settings.From(getenv)
	p := &Predictor{Engine: eng, Inputs: in, Buckets: e.List(settings.InputBuckets), ReuseModels: e.List(settings.ReuseModels),
		MaxInputs: int(e.Int(settings.PredictMaxInputs, 1)), Timeout: e.Duration(settings.PredictTimeout)}
	if d := e.Duration(settings.PredictQueueDelay); d > 0 {
		p.Batcher = NewBatcher(eng, d, p.maxInputs())
	}
	return p, e.Err()
}

func (p *Predictor) maxInputs() int {
	if p.MaxInputs > 0 {
		return p.MaxInputs
	}
	return DefaultPredictMaxInputs
}

func (p *Predictor) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultPredictTimeout
}

// PredictRequest is the body of POST /v1/predict: one "input" or a list
// of "instances", for one model.
type PredictRequest struct {
	Model     string            `json:"model,omitempty"`
	Input     json.RawMessage   `json:"input,omitempty"`
	Entity    json.RawMessage   `json:"entity,omitempty"`
	Instances []json.RawMessage `json:"instances,omitempty"`
}

// PredictResponse is its 200 answer: one entry per instance, in order.
type PredictResponse struct {
	Model        string          `json:"model"`
	ModelVersion string          `json:"model_version"`
	Outputs      []PredictOutput `json:"outputs"`
}

// PredictOutput is one instance's output or its error.
type PredictOutput struct {
	Output map[string]any `json:"output,omitempty"`
	Error  *OutputError   `json:"error,omitempty"`
}

// OutputError is an instance's error: its taxonomy code and message.
type OutputError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errTimeout is a request that ran past its deadline.
var errTimeout = errors.New("the predict request ran out of time")

// msgTimeout is API Gateway's own 504 body.
const msgTimeout = "Endpoint request timed out"

// RunStats tells how a request ran: requests and rows in its run(s).
type RunStats struct{ Requests int }

// run decodes nothing: it fetches S3 inputs, runs every decodable item and
// returns one prediction per item, in order. items[i].Model is nil for an
// instance whose decoding already failed (errs[i] set).
func (p *Predictor) run(ctx context.Context, js []jobs.Job, m *model.Model) ([]engine.Prediction, RunStats, error) {
	preds := make([]engine.Prediction, len(js))
	items := make([]engine.Item, 0, len(js))
	idx := make([]int, 0, len(js))
	p.fetch(ctx, js, preds)
	wants := make([]features.Want, len(js))
	for i, j := range js {
		wants[i] = features.Want{Model: m, Entity: j.Entity}
	}
	found, err := p.Features.Read(ctx, wants)
	if err != nil {
		return nil, RunStats{}, err
	}
	hit := p.reused(ctx, js, m, preds)
	for i, j := range js {
		if preds[i].Err != nil || hit[i] {
			continue
		}
		in, err := engine.InputOf(j.Input, p.data(j))
		if err == nil {
			in, err = features.Apply(m, found[i], in)
		}
		if err != nil {
			preds[i].Err = err
			continue
		}
		items = append(items, engine.Item{Model: m, Input: in})
		idx = append(idx, i)
	}
	if len(items) == 0 {
		return preds, RunStats{}, nil
	}
	var out []engine.Prediction
	st := RunStats{Requests: 1}
	if p.Batcher != nil {
		var err error
		if out, st.Requests, err = p.Batcher.Predict(ctx, items); err != nil {
			return nil, st, err
		}
	} else {
		out = p.Engine.Predict(ctx, items)
	}
	if ctx.Err() != nil {
		return nil, st, errTimeout
	}
	for k, i := range idx {
		preds[i] = out[k]
	}
	return preds, st, nil
}

// data is what fetch read for an S3 instance (kept in the job's Data).
func (p *Predictor) data(j jobs.Job) []byte {
	if j.Input.S3 != nil {
		return j.Input.Data
	}
	return nil
}

// fetch reads the S3 instances concurrently into their Input.Data; an
// instance that cannot be read gets its error.
func (p *Predictor) fetch(ctx context.Context, js []jobs.Job, preds []engine.Prediction) {
	var wg sync.WaitGroup
	for i := range js {
		obj := js[i].Input.S3
		switch {
		case obj == nil:
			continue
		case !bucketAllowed(p.Buckets, obj.Bucket):
			preds[i].Err = jobs.Errorf(jobs.CodeBucketNotAllowed, "bucket %q is not in %s", obj.Bucket, settings.InputBuckets.Name)
			continue
		case p.Inputs == nil:
			preds[i].Err = jobs.Errorf(jobs.CodeNotConfigured, "this server reads no S3 inputs")
			continue
		}
		wg.Go(func() {
			data, err := p.Inputs.Fetch(ctx, *obj)
			if err != nil {
				preds[i].Err = err
				return
			}
			js[i].Input.Data = data
		})
	}
	wg.Wait()
}

func bucketAllowed(allow []string, bucket string) bool {
	for _, b := range allow {
		if b == bucket || b == "*" {
			return true
		}
	}
	return false
}

// decode turns a request body into the model and its instances' jobs; an
// instance that does not decode keeps its error in errs.
func (p *Predictor) decode(body []byte) (*model.Model, []jobs.Job, []error, error) {
	var req PredictRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, nil, jobs.Wrap(jobs.CodeMalformedJob, err, `the body is not a predict request {"model"?, "input": {...}, "entity"?} or {"model"?, "instances": [...]}`)
	}
	var raws []json.RawMessage
	switch {
	case req.Input != nil && req.Instances != nil:
		return nil, nil, nil, jobs.Errorf(jobs.CodeMalformedJob, `a predict request has "input" or "instances", not both`)
	case req.Input != nil:
		one, err := withEntity(req.Input, req.Entity)
		if err != nil {
			return nil, nil, nil, err
		}
		raws = []json.RawMessage{one}
	case req.Entity != nil:
		return nil, nil, nil, jobs.Errorf(jobs.CodeMalformedJob, `a request-level "entity" goes with "input"; each instance carries its own`)
	case len(req.Instances) == 0:
		return nil, nil, nil, jobs.Errorf(jobs.CodeMalformedJob, `a predict request needs "input" or a non-empty "instances"`)
	default:
		raws = req.Instances
	}
	if len(raws) > p.maxInputs() {
		return nil, nil, nil, jobs.Errorf(jobs.CodeMalformedJob, "%d instances, more than %s=%d", len(raws), settings.PredictMaxInputs.Name, p.maxInputs())
	}
	m, err := p.model(req.Model)
	if err != nil {
		return nil, nil, nil, err
	}
	js := make([]jobs.Job, len(raws))
	errs := make([]error, len(raws))
	for i, raw := range raws {
		js[i], errs[i] = jobs.DecodeInstance(m.Name(), raw)
	}
	return m, js, errs, nil
}

func (p *Predictor) model(name string) (*model.Model, error) {
	if name != "" {
		if err := jobs.CheckModelName(name); err != nil {
			return nil, err
		}
	}
	return p.Engine.Model(name)
}

// withEntity puts a request-level "entity" into its single input, the
// place an instance carries it.
func withEntity(input, entity json.RawMessage) (json.RawMessage, error) {
	if entity == nil {
		return input, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(input, &fields); err != nil || fields == nil {
		return nil, jobs.Errorf(jobs.CodeMalformedJob, `"input" must be an object`)
	}
	fields["entity"] = entity
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, jobs.Wrap(jobs.CodeMalformedJob, err, "input")
	}
	return b, nil
}

// postPredict serves POST /v1/predict.
func (p *Predictor) postPredict(w http.ResponseWriter, r *http.Request) {
	body, ok := readBodyMax(w, r, MaxPredictBodyBytes)
	if !ok {
		return
	}
	m, js, errs, err := p.decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), string(jobs.CodeOf(err)))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout())
	defer cancel()
	preds, st, err := p.runDecoded(ctx, m, js, errs)
	if err != nil {
		writeRunError(w, err)
		return
	}
	resp := PredictResponse{Model: m.Name(), ModelVersion: m.Version(), Outputs: make([]PredictOutput, len(preds))}
	for i, pr := range preds {
		if pr.Err != nil {
			resp.Outputs[i].Error = &OutputError{Code: string(jobs.CodeOf(pr.Err)), Message: pr.Err.Error()}
			continue
		}
		resp.Outputs[i].Output = pr.Output
	}
	w.Header().Set(RunRequestsHeader, strconv.Itoa(st.Requests))
	writeJSON(w, http.StatusOK, resp)
}

// RunRequestsHeader reports how many requests shared this one's tensor
// run (the dynamic batcher's figure; 1 without it, 0 when nothing ran).
const RunRequestsHeader = "X-Batchinfer-Run-Requests"

// runDecoded runs the instances that decoded; the others answer their
// decoding error.
func (p *Predictor) runDecoded(ctx context.Context, m *model.Model, js []jobs.Job, errs []error) ([]engine.Prediction, RunStats, error) {
	var ok []jobs.Job
	var at []int
	for i := range js {
		if errs[i] == nil {
			ok, at = append(ok, js[i]), append(at, i)
		}
	}
	got, st, err := p.run(ctx, ok, m)
	if err != nil {
		return nil, st, err
	}
	preds := make([]engine.Prediction, len(js))
	for i, e := range errs {
		preds[i].Err = e
	}
	for k, i := range at {
		preds[i] = got[k]
	}
	return preds, st, nil
}

// writeRunError answers a request that could not run: out of time is 504,
// a failed feature read 503 (API Gateway's words), as the other routes.
func writeRunError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) || jobs.CodeOf(err) == jobs.CodeDeadline {
		writeTimeout(w)
		return
	}
	writeUpstreamError(w, err)
}

func writeTimeout(w http.ResponseWriter) {
	writeError(w, http.StatusGatewayTimeout, msgTimeout, string(jobs.CodeTimeout))
}

// readBodyMax reads at most limit bytes; a longer body is answered 413.
func readBodyMax(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, msgTooLong, "")
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "read request body: "+err.Error(), string(jobs.CodeMalformedJob))
		return nil, false
	}
	return body, true
}

// String names a predictor's limits in the server's start line.
func (p *Predictor) String() string {
	delay := "none"
	if p.Batcher != nil {
		delay = p.Batcher.delay.String()
	}
	return fmt.Sprintf("predict: ≤ %d instances, timeout %s, queue delay %s", p.maxInputs(), p.timeout(), delay)
}
