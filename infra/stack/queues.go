package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// addQueues creates the jobs queue, its dead-letter queue and the inbox's
// object-created notifications. Both queues use SQS-managed encryption
// (SSE-SQS): S3 cannot publish to a queue encrypted with the AWS-managed
// KMS key, and a customer key would need a key policy for S3 as well.
func (b *BatchInfer) addQueues() {
	b.DeadLetters = awssqs.NewQueue(b.Stack, jsii.String("DeadLetters"), b.fifoQueue(&awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	}))
	b.Jobs = awssqs.NewQueue(b.Stack, jsii.String("Jobs"), b.fifoQueue(&awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(float64(b.Config.VisibilityTimeoutSeconds))),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           b.DeadLetters,
			MaxReceiveCount: jsii.Number(float64(b.Config.MaxReceiveCount)),
		},
	}))
	if b.Config.FIFO {
		return // S3 cannot notify a FIFO queue: the inbox needs a standard one
	}

	var filters []*awss3.NotificationKeyFilter // CDK rejects an empty filter
	if c := b.Config; c.InboxPrefix != "" || c.InboxSuffix != "" {
		f := &awss3.NotificationKeyFilter{}
		if c.InboxPrefix != "" {
			f.Prefix = jsii.String(c.InboxPrefix)
		}
		if c.InboxSuffix != "" {
			f.Suffix = jsii.String(c.InboxSuffix)
		}
		filters = append(filters, f)
	}
	b.Inbox.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewSqsDestination(b.Jobs), filters...)
}
