package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
)

// Handle is the Lambda function: it takes the raw invocation payload (an
// SQS event, or an S3 event invoked directly) and answers an SQS event with
// the partial batch response that ReportBatchItemFailures expects: only
// messages SQS must redeliver are listed, everything else is deleted.
func (w *Worker) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	inv, err := jobs.DecodeInvocation(payload)
	if err != nil {
		// Not an event we serve: fail the invocation so the misconfiguration
		// shows in the function's error metrics instead of passing silently.
		return nil, fmt.Errorf("decode invocation: %w", err)
	}
	out := w.Process(ctx, inv)
	if inv.Direct {
		// A direct (asynchronous) S3 invoke has no batchItemFailures: an
		// error makes Lambda retry the event and, after that, send it to the
		// function's on-failure destination.
		if len(out.RetryIDs) > 0 {
			return nil, fmt.Errorf("%d of %d jobs hit transient failures; retry the event", out.Retried, out.Retried+out.Succeeded+out.Failed)
		}
		return out, nil
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range out.RetryIDs {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp, nil
}
