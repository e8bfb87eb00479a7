package naive

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// Handler is the one-record-at-a-time handler. Models are served by
// manifest name; the first is the default, as in the worker.
type Handler struct {
	Models   []*model.Model
	Inputs   *store.Inputs  // S3 reads
	Outputs  *store.Outputs // the full output object, as the worker writes it
	DynamoDB *dynamodb.Client
	Table    string
	// ItemOnly skips the full output object in S3 and writes only the
	// DynamoDB item: the smallest tutorial, which does less than the
	// worker's result contract asks (no output_uri).
	ItemOnly bool
}

// Handle processes an SQS event record by record and reports every record
// that failed in batchItemFailures.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	inv, err := jobs.DecodeInvocation(payload)
	if err != nil {
		return resp, fmt.Errorf("decode invocation: %w", err)
	}
	for _, m := range inv.Messages {
		if m.Ignored {
			continue
		}
		err := m.Err
		for _, j := range m.Jobs {
			if err != nil {
				break
			}
			err = h.run(ctx, j)
		}
		if err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageID})
		}
	}
	return resp, nil
}

// run is one job: fetch, one ORT run at batch 1, write.
func (h *Handler) run(ctx context.Context, j jobs.Job) error {
	m, err := h.model(j.Model)
	if err != nil {
		return err
	}
	data := []byte(j.Input.Features)
	switch {
	case j.Input.S3 != nil:
		if data, err = h.Inputs.Fetch(ctx, *j.Input.S3); err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
	case j.Input.Data != nil:
		data = j.Input.Data
	}
	out, err := Predict(ctx, m, data)
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	rec := store.Record{
		JobID: j.ID, Status: store.StatusSucceeded, Model: m.Name(), ModelVersion: m.Version(),
		Input: j.Input.String(), Output: out, Metadata: j.Metadata, Attempts: 1,
		CreatedAt: time.Now().UTC().Format(store.TimeFormat),
	}
	rec.UpdatedAt = rec.CreatedAt
	if !h.ItemOnly {
		full, err := json.Marshal(map[string]any{
			"job_id": j.ID, "model": m.Name(), "model_version": m.Version(),
			"input": rec.Input, "output": out, "metadata": j.Metadata,
		})
		if err != nil {
			return fmt.Errorf("job %s: encode output: %w", j.ID, err)
		}
		if rec.OutputURI, err = h.Outputs.Put(ctx, j.ID, full); err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
	}
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return fmt.Errorf("job %s: encode item: %w", j.ID, err)
	}
	if _, err := h.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(h.Table), Item: item}); err != nil {
		return fmt.Errorf("job %s: put item: %w", j.ID, err)
	}
	return nil
}

func (h *Handler) model(name string) (*model.Model, error) {
	if len(h.Models) == 0 {
		return nil, fmt.Errorf("naive handler: no models")
	}
	if name == "" {
		return h.Models[0], nil
	}
	for _, m := range h.Models {
		if m.Name() == name {
			return m, nil
		}
	}
	return nil, jobs.Errorf(jobs.CodeUnknownModel, "model %q is not served here", name)
}

// Predict runs one input through m alone: preprocess, a tensor run with a
// leading batch dim of 1, postprocess.
func Predict(ctx context.Context, m *model.Model, data []byte) (map[string]any, error) {
	row, err := m.Preprocess(data)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	batch := model.Tensor{Shape: append([]int64{1}, row.Shape...), Data: row.Data}
	outs, err := m.Run(ctx, batch)
	if err != nil {
		return nil, err
	}
	// Postprocess takes one row's outputs without the batch dim.
	for i := range outs {
		outs[i].Shape = outs[i].Shape[1:]
	}
	res, err := m.Postprocess(outs)
	if err != nil {
		return nil, err
	}
	return res, nil
}
