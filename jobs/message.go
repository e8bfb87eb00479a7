package jobs

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Message is one SQS record (or, for a direct S3 invoke, one S3 record)
// decoded into the jobs it carries.
type Message struct {
	MessageID    string
	ReceiveCount int       // attributes.ApproximateReceiveCount (0 if absent)
	SentAt       time.Time // attributes.SentTimestamp, zero if absent
	Body         string    // the original body, sent to the DLQ as-is
	// Delivered is the record as delivered (an SQS record; for a direct S3
	// invoke or an S3 Batch Operations task, one made up from it).
	Delivered events.SQSMessage
	Jobs      []Job // one body can hold several jobs (an S3 notification with several Records)
	// Reprocess is set for a reprocess request ({"reprocess": {...}}, see
	// doc.go): run finished jobs again. Jobs is then empty.
	Reprocess *ReprocessRequest
	// Ignored is set for s3:TestEvent and other events that carry no work:
	// acknowledge the message, write no result.
	Ignored bool
	// IgnoredReason says why an Ignored message carries no work (for logs).
	IgnoredReason string
	// Err is a permanent *Error (malformed_job, ...) when the body cannot be
	// decoded; Jobs is then empty.
	Err error
	// ErrJobID, set with Err, is the id to record the failure under: the
	// body's own job_id when it names a valid one (so users find the FAILED
	// item under the id they chose), else the message id, else (a direct S3
	// invoke record) MalformedJobPrefix and a hash of the body.
	ErrJobID string
	// BodyHash, set with Err, is BodyHash(Body): the payload hash of the
	// FAILED item, so a redelivered bad body is recognised as the same one.
	BodyHash string
	// Redrive is set when the message came back from the dead-letter queue
	// carrying the attributes the worker set there (deadletter.go): its job
	// reruns, replacing a FAILED item, where a plain redelivery of a job
	// whose outcome is written is a duplicate.
	Redrive bool
}

// MalformedJobPrefix starts ErrJobID when a failed body has neither a job_id
// nor a message id.
const MalformedJobPrefix = "malformed-"

// Invocation is a decoded Lambda event.
type Invocation struct {
	// Messages are the SQS records in order; for a direct S3 invoke, one
	// pseudo-Message per S3 record (MessageID "", Body = that record as JSON).
	Messages []Message
	// Direct is true for a direct S3 event invoke and for an S3 Batch
	// Operations invoke (no SQS, so no batchItemFailures).
	Direct bool
	// S3Batch is set for an S3 Batch Operations invoke (nil for every other
	// event): Messages are then its tasks, MessageID the taskId and Body the
	// task as JSON, and the function answers with S3BatchResponse.
	S3Batch *S3BatchInfo
}

// DecodeMessage decodes one SQS record. It never fails as a whole: a body
// that is not a job sets Err, so its neighbours are unaffected. The poll
// mode uses it for messages it receives itself.
func DecodeMessage(rec events.SQSMessage) Message {
	m := Message{
		MessageID: rec.MessageId,
		Body:      rec.Body,
		Delivered: rec,
		Redrive:   isRedrive(rec),
	}
	if n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
		m.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(rec.Attributes["SentTimestamp"], 10, 64); err == nil && ms > 0 {
		m.SentAt = time.UnixMilli(ms).UTC()
	}
	if req, ok, err := decodeReprocessBody([]byte(rec.Body)); ok {
		if err != nil {
			m.setResult(nil, "", err)
		}
		m.Reprocess = req
		return m
	}
	m.setResult(decodeBody([]byte(rec.Body), rec.MessageId, false))
	return m
}

func (m *Message) setResult(jobs []Job, reason string, err error) {
	switch {
	case err != nil:
		m.Err = err
		m.ErrJobID = errJobID(m.Body, m.MessageID)
		m.BodyHash = BodyHash(m.Body)
	case len(jobs) == 0:
		m.Ignored, m.IgnoredReason = true, reason
	default:
		m.Jobs = jobs
	}
}

// invocationRecord holds the fields that tell an SQS record from an S3 one.
type invocationRecord struct {
	EventSource string `json:"eventSource"`
	AWSRegion   string `json:"awsRegion"`
	MessageID   string `json:"messageId"`
}

// acceptedEvents is the help text of every "not an event we serve" error.
const acceptedEvents = `accepted are an SQS event and an S3 event ({"Records": [...]} with eventSource "aws:sqs" or "aws:s3") ` +
	`and an S3 Batch Operations event ({"invocationSchemaVersion": "2.0", "tasks": [...]})`

// DecodeInvocation decodes a Lambda event: an SQS event (records with
// eventSource "aws:sqs"), a direct S3 event invoke ("aws:s3") or an S3 Batch
// Operations invoke (top-level invocationSchemaVersion and tasks). Each
// record or task decodes on its own, so one bad one never affects its
// neighbours. Any other event is a malformed_job *Error saying what is
// accepted.
func DecodeInvocation(payload []byte) (*Invocation, error) {
	var ev struct {
		Records       []json.RawMessage `json:"Records"`
		SchemaVersion json.RawMessage   `json:"invocationSchemaVersion"`
		Tasks         json.RawMessage   `json:"tasks"`
	}
	err := json.Unmarshal(payload, &ev)
	switch {
	case err == nil && ev.Records == nil && (ev.SchemaVersion != nil || ev.Tasks != nil):
		return decodeS3Batch(payload)
	case err != nil || ev.Records == nil:
		return nil, Errorf(CodeMalformedJob, "unsupported Lambda event: %s", acceptedEvents)
	}
	return decodeRecords(ev.Records)
}

// decodeRecords decodes the Records of an SQS event or a direct S3 invoke.
func decodeRecords(raws []json.RawMessage) (*Invocation, error) {
	recs := make([]invocationRecord, len(raws))
	source := ""
	for i, raw := range raws {
		// A record that fails here keeps an empty source and is reported
		// as malformed below, on its own.
		_ = json.Unmarshal(raw, &recs[i])
		if source == "" && (recs[i].EventSource == "aws:sqs" || recs[i].EventSource == "aws:s3") {
			source = recs[i].EventSource
		}
	}
	inv := &Invocation{Direct: source == "aws:s3", Messages: make([]Message, 0, len(raws))}
	if source == "" && len(raws) > 0 {
		return nil, Errorf(CodeMalformedJob, "unsupported Lambda event source %q: %s", firstSource(recs), acceptedEvents)
	}
	for i, raw := range raws {
		switch {
		case recs[i].EventSource != source:
			inv.Messages = append(inv.Messages, failedRecord(raw, recs[i].MessageID,
				Errorf(CodeMalformedJob, "record %d has eventSource %q in an event of %q records", i, truncate(recs[i].EventSource), source)))
		case inv.Direct:
			inv.Messages = append(inv.Messages, directS3Message(raw, recs[i]))
		default:
			var rec events.SQSMessage
			if err := json.Unmarshal(raw, &rec); err != nil {
				inv.Messages = append(inv.Messages, failedRecord(raw, recs[i].MessageID, Wrap(CodeMalformedJob, err, "SQS record %d", i)))
				continue
			}
			inv.Messages = append(inv.Messages, DecodeMessage(rec))
		}
	}
	return inv, nil
}

// failedRecord is the Message of a record that is not even a record.
func failedRecord(raw json.RawMessage, messageID string, err error) Message {
	m := Message{MessageID: messageID, Body: string(raw)}
	m.setResult(nil, "", err)
	return m
}

// directS3Message makes the pseudo-Message of one record of a direct S3
// invoke.
func directS3Message(raw json.RawMessage, r invocationRecord) Message {
	m := Message{
		Body:      string(raw),
		Delivered: events.SQSMessage{Body: string(raw), EventSource: r.EventSource, AWSRegion: r.AWSRegion},
	}
	j, reason, err := decodeS3Record(raw)
	if err == nil && reason == "" {
		m.setResult([]Job{j}, "", nil)
	} else {
		m.setResult(nil, reason, err)
	}
	return m
}

// errJobID names a failed body's job: see Message.ErrJobID.
func errJobID(body, messageID string) string {
	var j struct {
		JobID string `json:"job_id"`
	}
	if json.Unmarshal([]byte(body), &j) == nil && j.JobID != "" && checkJobID(j.JobID) == nil {
		return j.JobID
	}
	if messageID != "" {
		return messageID
	}
	return MalformedJobPrefix + BodyHash(body)[:32]
}

func firstSource(recs []invocationRecord) string {
	for _, r := range recs {
		if r.EventSource != "" {
			return truncate(r.EventSource)
		}
	}
	return ""
}
