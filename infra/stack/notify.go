package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// addNotifications creates the completion topic (encrypted with its own
// rotating key), lets the worker publish to it and only it, and subscribes
// an example queue that receives FAILED jobs only (a filter policy on the
// status message attribute).
func (b *BatchInfer) addNotifications() {
	key := awskms.NewKey(b.Stack, jsii.String("CompletionsKey"), &awskms.KeyProps{
		Description: jsii.String("batchinfer completion topic"), EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	b.Topic = awssns.NewTopic(b.Stack, jsii.String("Completions"), &awssns.TopicProps{
		DisplayName: jsii.String("batchinfer job finished"), MasterKey: key, EnforceSSL: jsii.Bool(true),
	})
	b.Topic.GrantPublish(b.Function)
	b.Function.AddEnvironment(jsii.String("BATCHINFER_NOTIFY_TOPIC_ARN"), b.Topic.TopicArn(), nil)

	b.FailedJobs = awssqs.NewQueue(b.Stack, jsii.String("FailedJobs"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	b.Topic.AddSubscription(awssnssubscriptions.NewSqsSubscription(b.FailedJobs, &awssnssubscriptions.SqsSubscriptionProps{
		FilterPolicy: &map[string]awssns.SubscriptionFilter{
			"status": awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{Allowlist: jsii.Strings("FAILED")}),
		},
	}))
	out := func(id string, v *string, desc string) {
		awscdk.NewCfnOutput(b.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("CompletionTopicArn", b.Topic.TopicArn(), "one event per finished job (subscribe; filter on status, model, error_code)")
	out("FailedJobsQueueUrl", b.FailedJobs.QueueUrl(), "example subscription: FAILED jobs only (batchinfer watch --queue-url)")
	out("ApiUrl", b.API.Url(), "the front door (docs/api.yaml); key in x-api-key")
}
