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
	if req, ok := jobs.DecodeProxyRequest(payload); ok {
		return w.handleProxy(ctx, req)
	}
	inv, err := jobs.DecodeInvocation(payload)
	if err != nil {
		// Not an event we serve: fail the invocation so the misconfiguration
		// shows in the function's error metrics instead of passing silently.
		return nil, fmt.Errorf("decode invocation: %w", err)
	}
	out := w.Process(ctx, inv)
	if inv.S3Batch != nil {
		return s3BatchResponse(inv, out), nil
	}
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

// s3BatchResponse answers an S3 Batch Operations invoke task by task:
// Succeeded when the job's outcome is stored (or was already), a
// TemporaryFailure for a job to retry (Batch Operations retries it), a
// PermanentFailure with the error code for a failed job. The result string
// is the job id, where the job's item can be read.
func s3BatchResponse(inv *jobs.Invocation, out Outcome) events.S3BatchJobResponse {
	results := make([]jobs.S3BatchResult, len(inv.Messages))
	for i, m := range inv.Messages {
		st := out.States[i]
		r := jobs.S3BatchResult{TaskID: m.MessageID, Code: jobs.S3BatchSucceeded, ResultString: st.JobID}
		switch {
		case st.Retry:
			r.Code, r.ResultString = jobs.S3BatchTemporaryFailure, resultString(st.JobID, st.Err)
		case st.Failed:
			r.Code, r.ResultString = jobs.S3BatchPermanentFailure, resultString(st.JobID, st.Err)
		}
		results[i] = r
	}
	return jobs.S3BatchResponse(inv.S3Batch, results)
}

func resultString(jobID string, err error) string {
	if err == nil {
		return jobID
	}
	return jobID + " " + string(jobs.CodeOf(err))
}
