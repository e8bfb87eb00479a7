package jobs

import (
	"bytes"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// DecodeProxyRequest tells an API Gateway proxy event (REST API, payload
// format 1.0) from the other invocations the function serves: it has an
// "httpMethod" and a "requestContext", which no SQS, S3, S3 Batch or
// EventBridge event has. ok is false for any other payload.
func DecodeProxyRequest(payload []byte) (req events.APIGatewayProxyRequest, ok bool) {
	if !bytes.Contains(payload, []byte(`"httpMethod"`)) {
		return req, false // the cheap test first: SQS batches are large
	}
	var probe struct {
		HTTPMethod     string          `json:"httpMethod"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if json.Unmarshal(payload, &probe) != nil || probe.HTTPMethod == "" || probe.RequestContext == nil {
		return req, false
	}
	if json.Unmarshal(payload, &req) != nil {
		return req, false
	}
	return req, true
}
