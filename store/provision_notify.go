package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NotifySpec names the completion topic and a queue subscribed to it (what
// `batchinfer watch` follows). FilterPolicy, a JSON SNS filter policy on
// the message attributes, may be empty.
type NotifySpec struct {
	Topic, Queue string
	FilterPolicy string
}

// NotifyProvisioned is what ProvisionNotify created or found.
type NotifyProvisioned struct {
	TopicARN, QueueURL, QueueARN, SubscriptionARN string
}

// ProvisionNotify creates (or finds) the topic, the queue and the
// subscription. Subscribe with the same attributes returns the existing
// subscription, so running it again changes nothing.
func ProvisionNotify(ctx context.Context, cfg aws.Config, spec NotifySpec) (NotifyProvisioned, error) {
	var p NotifyProvisioned
	snsc := sns.NewFromConfig(cfg)
	t, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(spec.Topic)})
	if err != nil {
		return p, Classify(err, "create topic "+spec.Topic)
	}
	p.TopicARN = aws.ToString(t.TopicArn)
	if p.QueueURL, p.QueueARN, err = ensureQueue(ctx, sqs.NewFromConfig(cfg), spec.Queue, nil); err != nil {
		return p, err
	}
	attrs := map[string]string{}
	if spec.FilterPolicy != "" {
		attrs["FilterPolicy"] = spec.FilterPolicy
	}
	sub, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(p.TopicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(p.QueueARN),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		return p, Classify(err, fmt.Sprintf("subscribe %s to %s", spec.Queue, p.TopicARN))
	}
	p.SubscriptionARN = aws.ToString(sub.SubscriptionArn)
	return p, nil
}

// TeardownNotify deletes the topic and the queue; absent ones are fine.
func TeardownNotify(ctx context.Context, cfg aws.Config, spec NotifySpec, topicARN string) error {
	if topicARN != "" {
		if _, err := sns.NewFromConfig(cfg).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topicARN)}); err != nil && !isNotFound(err) {
			return Classify(err, "delete topic "+topicARN)
		}
	}
	c := sqs.NewFromConfig(cfg)
	u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(spec.Queue)})
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return Classify(err, "find queue "+spec.Queue)
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: u.QueueUrl}); err != nil && !isNotFound(err) {
		return Classify(err, "delete queue "+spec.Queue)
	}
	return nil
}

// EndpointOverridden reports whether a service's endpoint is overridden
// (AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL): `local` commands use
// it to refuse touching a real AWS service by accident.
func EndpointOverridden(cfg aws.Config, sdkID string) bool { return hasEndpointOverride(cfg, sdkID) }
