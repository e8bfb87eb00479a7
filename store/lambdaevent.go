package store

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// LambdaRecord is the record Lambda's SQS event source mapping delivers for
// a received message: messageId, receiptHandle, body, md5OfBody,
// md5OfMessageAttributes, every system attribute ReceiveMessage returned
// (ApproximateReceiveCount, SentTimestamp, SenderId,
// ApproximateFirstReceiveTimestamp, and AWSTraceHeader or the FIFO ones
// when present), messageAttributes (stringValue/binaryValue, the list
// fields as the empty lists Lambda sends, dataType), eventSource "aws:sqs",
// eventSourceARN and awsRegion. The poll mode and the local event source
// mapping both build their events with it, so the worker sees one shape
// everywhere. Receive with MessageSystemAttributeNames and
// MessageAttributeNames All.
func LambdaRecord(m types.Message, queueARN, region string) events.SQSMessage {
	attrs := make(map[string]string, len(m.Attributes))
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	mattrs := make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
	for k, v := range m.MessageAttributes {
		mattrs[k] = events.SQSMessageAttribute{
			DataType:         aws.ToString(v.DataType),
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: append([]string{}, v.StringListValues...),
			BinaryListValues: append([][]byte{}, v.BinaryListValues...),
		}
	}
	return events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             attrs,
		MessageAttributes:      mattrs,
		EventSourceARN:         queueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              region,
	}
}

// ReceiveRecords gathers one batch as ReceiveBatch does and returns it as
// the records Lambda's event source mapping would deliver (LambdaRecord,
// with queueARN and the client's region), so the poll mode sees the
// worker's one event shape without touching SDK types.
func (q *Queue) ReceiveRecords(ctx context.Context, o BatchOptions, queueARN string) ([]events.SQSMessage, time.Time, error) {
	msgs, first, err := q.ReceiveBatch(ctx, o)
	recs := make([]events.SQSMessage, len(msgs))
	region := q.Client.Options().Region
	for i, m := range msgs {
		recs[i] = LambdaRecord(m, queueARN, region)
	}
	return recs, first, err
}

// DeleteRecords deletes received records by their receipt handles (see
// Delete for what a partial failure returns).
func (q *Queue) DeleteRecords(ctx context.Context, recs []events.SQSMessage) error {
	msgs := make([]types.Message, len(recs))
	for i, r := range recs {
		msgs[i] = types.Message{MessageId: aws.String(r.MessageId), ReceiptHandle: aws.String(r.ReceiptHandle)}
	}
	return q.Delete(ctx, msgs)
}
