// Command handler is the tiny Lambda function the local package's tests run
// under the real runtime interface emulator. It answers an SQS event the way
// a function with ReportBatchItemFailures does, and lets a test steer it
// through every outcome Lambda's event source mapping must handle, by the
// record bodies it sends:
//
//	"fail..."      that record is listed in batchItemFailures
//	"crash..."     the process exits at once (no response at all)
//	"panic..."     the handler panics (aws-lambda-go reports a Runtime error)
//	"error..."     the handler returns an error (errorType in the body)
//	"sleep..."     the handler sleeps past any sane function timeout
//	"wait..."      the handler takes half a second, then succeeds
//	"hang1..."     sleeps like "sleep" on the first delivery only
//	               (ApproximateReceiveCount 1), succeeds on redelivery
//	"unknownid..." the response lists an itemIdentifier not in the batch
//	"emptyid..."   the response lists an empty itemIdentifier
//	"null..."      the handler returns a null response
//	"emptylist..." the handler returns {"batchItemFailures": []}
//
// Every invocation also writes the whole event it received to the file named
// by HANDLER_EVENT_LOG (one JSON line per invocation) so tests can check the
// exact event shape the ESM built.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, raw json.RawMessage) (*events.SQSEventResponse, error) {
	if p := os.Getenv("HANDLER_EVENT_LOG"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		_, err = f.Write(append(append([]byte(nil), raw...), '\n'))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	resp := &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, r := range ev.Records {
		switch {
		case strings.HasPrefix(r.Body, "crash"):
			os.Exit(3)
		case strings.HasPrefix(r.Body, "panic"):
			panic("handler asked to panic")
		case strings.HasPrefix(r.Body, "error"):
			return nil, errors.New("handler asked to fail the invocation")
		case strings.HasPrefix(r.Body, "sleep"),
			strings.HasPrefix(r.Body, "hang1") && r.Attributes["ApproximateReceiveCount"] == "1":
			select {
			case <-ctx.Done():
			case <-time.After(time.Hour):
			}
			time.Sleep(time.Hour)
		case strings.HasPrefix(r.Body, "wait"):
			time.Sleep(500 * time.Millisecond)
		case strings.HasPrefix(r.Body, "null"):
			return nil, nil
		case strings.HasPrefix(r.Body, "unknownid"):
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: "no-such-message"})
		case strings.HasPrefix(r.Body, "emptyid"):
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ""})
		case strings.HasPrefix(r.Body, "fail"):
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

func main() { lambda.Start(handle) }
