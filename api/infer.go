package api

import (
	"context"
	"net/http"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
)

// InferResponse is the Open Inference Protocol's answer to
// POST /v2/models/{model}/infer.
type InferResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id,omitempty"`
	Outputs      any    `json:"outputs"`
}

// inferError is the protocol's error body ({"error"}), with this API's
// {"message", "code"} beside it so every route's errors read alike.
type inferError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

func writeInferError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, inferError{Error: err.Error(), Message: err.Error(), Code: string(jobs.CodeOf(err))})
}

// postInfer serves POST /v2/models/{model}/infer: a bare Open Inference
// Protocol request runs the named model on its tensors (the model's codecs
// are skipped), so KServe and Triton clients work unchanged.
func (p *Predictor) postInfer(w http.ResponseWriter, r *http.Request) {
	body, ok := readBodyMax(w, r, MaxPredictBodyBytes)
	if !ok {
		return
	}
	m, err := p.model(r.PathValue("model"))
	if err != nil {
		status := http.StatusBadRequest
		if jobs.CodeOf(err) == jobs.CodeUnknownModel {
			status = http.StatusNotFound // the protocol's answer for a model it does not serve
		}
		writeInferError(w, status, err)
		return
	}
	req, err := jobs.ParseTensorRequest(body)
	if err != nil {
		writeInferError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout())
	defer cancel()
	j := jobs.Job{Model: m.Name(), Input: jobs.Input{Tensors: req.Inputs}}
	preds, _, err := p.run(ctx, []jobs.Job{j}, m)
	if err != nil {
		writeRunError(w, err)
		return
	}
	if err := preds[0].Err; err != nil {
		writeInferError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, InferResponse{ModelName: m.Name(), ModelVersion: m.Version(), ID: req.ID, Outputs: tensorOutputs(preds[0])})
}

// tensorOutputs is a tensor request's output tensors.
func tensorOutputs(p engine.Prediction) any {
	if outs, ok := p.Output["outputs"]; ok {
		return outs
	}
	return []any{}
}
