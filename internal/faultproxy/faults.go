package faultproxy

import (
	"fmt"
	"net/http"
	"strings"
)

// Service names the proxy uses for routing, counting and Delay.
const (
	DynamoDB = "dynamodb"
	SQS      = "sqs"
	S3       = "s3"
)

// Kind is a kind of injected fault.
type Kind int

const (
	// ServerError is a 500 internal error in the service's own shape.
	ServerError Kind = iota
	// Throttle is the service's throttling error: DynamoDB
	// ThrottlingException (400), SQS RequestThrottled (400), S3 SlowDown (503).
	Throttle
)

func (k Kind) String() string {
	if k == Throttle {
		return "throttle"
	}
	return "server-error"
}

// serviceOf tells the services apart the way their protocols do: DynamoDB
// and SQS speak AWS JSON with an X-Amz-Target naming the operation, S3 is
// REST-XML and has none.
func serviceOf(r *http.Request) string {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		return DynamoDB
	case strings.HasPrefix(target, "AmazonSQS."):
		return SQS
	}
	return S3
}

// writeFault writes the error service returns for kind. The shapes are
// what the SDK's deserialisers read: the JSON "__type" (namespace stripped
// by the SDK) for DynamoDB; for SQS, which is AWS-query compatible, also
// the x-amzn-query-error header the SDK takes the error code from; the S3
// XML <Error> document.
func writeFault(w http.ResponseWriter, service string, kind Kind, requestID string) {
	h := w.Header()
	switch service {
	case DynamoDB:
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amzn-Requestid", requestID)
		typ, status, msg := "InternalServerError", http.StatusInternalServerError, "Internal server error"
		if kind == Throttle {
			typ, status, msg = "ThrottlingException", http.StatusBadRequest, "Rate of requests exceeds the allowed throughput."
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, typ, msg)
	case SQS:
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amzn-Requestid", requestID)
		typ, fault, status, msg := "InternalError", "Receiver", http.StatusInternalServerError, "We encountered an internal error. Please try again."
		if kind == Throttle {
			typ, fault, status, msg = "RequestThrottled", "Sender", http.StatusBadRequest, "Rate exceeded"
		}
		h.Set("X-Amzn-Query-Error", typ+";"+fault)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#%s","message":%q}`, typ, msg)
	default:
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", requestID)
		code, status, msg := "InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again."
		if kind == Throttle {
			code, status, msg = "SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate."
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>faultproxy</HostId></Error>`,
			code, msg, requestID)
	}
}
