package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// fifoQueue makes props a FIFO queue's when the stack is FIFO (context
// "fifo"): per-group order, content-based deduplication off, because the
// worker sends the same body again on purpose (a record file's
// continuation) and producers name each message's deduplication id.
func (b *BatchInfer) fifoQueue(props *awssqs.QueueProps) *awssqs.QueueProps {
	if b.Config.FIFO {
		props.Fifo, props.ContentBasedDeduplication = jsii.Bool(true), jsii.Bool(false)
	}
	return props
}

// fifoSendParams are what SendMessageBatch needs on a FIFO queue: the API's
// jobs share one message group (in order of arrival) and the request id is
// each message's deduplication id.
func (b *BatchInfer) fifoSendParams() string {
	if !b.Config.FIFO {
		return ""
	}
	return `&SendMessageBatchRequestEntry.1.MessageGroupId=api&SendMessageBatchRequestEntry.1.MessageDeduplicationId=$util.urlEncode($context.requestId)`
}
