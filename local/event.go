package local

import (
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/store"
)

// BuildEvent builds the event Lambda's SQS event source mapping sends for
// msgs, one store.LambdaRecord per message. The messages must have been
// received with MessageSystemAttributeNames and MessageAttributeNames All.
func BuildEvent(msgs []types.Message, queueARN, region string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		ev.Records = append(ev.Records, store.LambdaRecord(m, queueARN, region))
	}
	return ev
}
