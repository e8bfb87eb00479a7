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

// fault is one service's answer for one kind of fault.
type fault struct {
	status     int
	code, msg  string
	queryFault string // SQS: Sender or Receiver, for x-amzn-query-error
}

// faults are the services' own answers, by service and kind.
var faults = map[string]map[Kind]fault{
	DynamoDB: {
		ServerError: {http.StatusInternalServerError, "InternalServerError", "Internal server error", ""},
		Throttle:    {http.StatusBadRequest, "ThrottlingException", "Rate of requests exceeds the allowed throughput.", ""},
	},
	SQS: {
		ServerError: {http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "Receiver"},
		Throttle:    {http.StatusBadRequest, "RequestThrottled", "Rate exceeded", "Sender"},
	},
	S3: {
		ServerError: {http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", ""},
		Throttle:    {http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", ""},
	},
}

// writeFault writes the error service returns for kind. The shapes are
// what the SDK's deserialisers read: the JSON "__type" (namespace stripped
// by the SDK) for DynamoDB; for SQS, which is AWS-query compatible, also
// the x-amzn-query-error header the SDK takes the error code from; the S3
// XML <Error> document.
func writeFault(w http.ResponseWriter, service string, kind Kind, requestID string) {
	if kind != Throttle {
		kind = ServerError
	}
	h := w.Header()
	switch service {
	case DynamoDB, SQS:
		f := faults[service][kind]
		namespace := "com.amazonaws.dynamodb.v20120810"
		if service == SQS {
			namespace = "com.amazonaws.sqs"
			h.Set("X-Amzn-Query-Error", f.code+";"+f.queryFault)
		}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amzn-Requestid", requestID)
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `{"__type":"%s#%s","message":%q}`, namespace, f.code, f.msg)
	default:
		f := faults[S3][kind]
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", requestID)
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>faultproxy</HostId></Error>`,
			f.code, f.msg, requestID)
	}
}
