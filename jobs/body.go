package jobs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// bodyShape is one kind of message body we accept.
type bodyShape string

const (
	shapeInline      bodyShape = "inline job"
	shapeS3Event     bodyShape = "S3 event notification"
	shapeS3Test      bodyShape = "S3 test event"
	shapeSNS         bodyShape = "SNS envelope"
	shapeEventBridge bodyShape = "EventBridge event"
	shapeReprocess   bodyShape = "reprocess request"
)

// acceptedShapes is the help text of every "not a job" error.
const acceptedShapes = `an inline job {"input": {...}, ...}, an S3 event notification {"Records": [...]}, ` +
	`an SNS envelope {"Type": "Notification", "Message": "..."} holding one of those, ` +
	`an EventBridge aws.s3 "Object Created" event, s3:TestEvent, ` +
	`or a reprocess request {"reprocess": {"status": "FAILED", "since": "24h"}}`

// shapeOf names the shape of a body from the top-level fields that mark
// each shape. A body that matches no shape, or more than one, is rejected
// rather than guessed at.
func shapeOf(fields map[string]json.RawMessage) (bodyShape, error) {
	has := func(k string) bool { _, ok := fields[k]; return ok }
	var shapes []bodyShape
	if has("Records") {
		shapes = append(shapes, shapeS3Event)
	}
	if has("Event") && has("Service") {
		shapes = append(shapes, shapeS3Test)
	}
	if has("Type") && has("Message") {
		shapes = append(shapes, shapeSNS)
	}
	if has("detail-type") && has("source") {
		shapes = append(shapes, shapeEventBridge)
	}
	if has("reprocess") {
		shapes = append(shapes, shapeReprocess)
	}
	if has("input") || has("job_id") || has("model") || has("metadata") {
		shapes = append(shapes, shapeInline)
	}
	switch len(shapes) {
	case 1:
		return shapes[0], nil
	case 0:
		return "", Errorf(CodeMalformedJob, "unrecognised message body with fields %s; accepted: %s", fieldList(fields), acceptedShapes)
	default:
		names := make([]string, len(shapes))
		for i, s := range shapes {
			names[i] = string(s)
		}
		return "", Errorf(CodeMalformedJob, "ambiguous message body: it has the fields of %s", strings.Join(names, " and "))
	}
}

// decodeBody decodes one message body. fallbackID names inline jobs without
// a job_id; insideSNS forbids an SNS envelope in an SNS envelope. It returns
// the jobs, or a reason the body carries no work, or a permanent *Error.
func decodeBody(body []byte, fallbackID string, insideSNS bool) ([]Job, string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, "", Errorf(CodeMalformedJob, "message body is not a JSON object; accepted: %s", acceptedShapes)
	}
	shape, err := shapeOf(fields)
	if err != nil {
		return nil, "", err
	}
	switch shape {
	case shapeInline:
		j, err := decodeInline(body, fields, fallbackID)
		if err != nil {
			return nil, "", err
		}
		return []Job{j}, "", nil
	case shapeS3Event:
		return decodeS3Notification(body)
	case shapeS3Test:
		return decodeS3TestEvent(body)
	case shapeEventBridge:
		return decodeEventBridge(body)
	case shapeSNS:
		if insideSNS {
			return nil, "", Errorf(CodeMalformedJob, "SNS envelope inside an SNS envelope")
		}
		return decodeSNS(body, fallbackID)
	case shapeReprocess:
		// DecodeMessage takes a top-level request before decodeBody; one
		// reaching here came wrapped, and the schedule never wraps it.
		return nil, "", Errorf(CodeMalformedJob, "a reprocess request must be the whole SQS message body, not wrapped in an envelope")
	}
	return nil, "", Errorf(CodeInternal, "no decoder for %s", shape) // a bug: every shape has a case
}

// snsEnvelope is an SNS notification as SNS delivers it to an SQS queue
// when raw message delivery is off.
type snsEnvelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Message   string `json:"Message"`
}

func decodeSNS(body []byte, fallbackID string) ([]Job, string, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, "", Wrap(CodeMalformedJob, err, `SNS envelope ("Message" must be a string)`)
	}
	switch env.Type {
	case "Notification":
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		return nil, fmt.Sprintf("SNS %s for topic %q", env.Type, truncate(env.TopicArn)), nil
	default:
		return nil, "", Errorf(CodeMalformedJob, "SNS envelope of Type %q (want Notification)", truncate(env.Type))
	}
	// SNS can deliver one notification twice, each time as a new SQS
	// message: its own MessageId is the stabler fallback id.
	if env.MessageID != "" {
		fallbackID = env.MessageID
	}
	jobs, reason, err := decodeBody([]byte(env.Message), fallbackID, true)
	if err != nil {
		return nil, "", prefixErr(err, "SNS message %s", truncate(env.MessageID))
	}
	if reason != "" {
		reason = "SNS notification: " + reason
	}
	return jobs, reason, nil
}

// prefixErr puts context in front of a *Error's message, keeping it a *Error
// with its code, so callers can rely on Message.Err being one.
func prefixErr(err error, format string, a ...any) error {
	e, ok := err.(*Error)
	if !ok {
		return Wrap(CodeOf(err), err, format, a...)
	}
	msg := fmt.Sprintf(format, a...)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return &Error{Code: e.Code, Message: msg, Err: e.Err}
}

// fieldList names a body's top-level fields for an error message.
func fieldList(fields map[string]json.RawMessage) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, fmt.Sprintf("%q", truncate(k)))
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	if len(names) == 0 {
		return "{}"
	}
	return "{" + strings.Join(names, ", ") + "}"
}
