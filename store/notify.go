package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/batchinfer/batchinfer/jobs"
)

// Notifier publishes completion events to an SNS topic and/or an
// EventBridge bus (BATCHINFER_NOTIFY_TOPIC_ARN, BATCHINFER_NOTIFY_EVENT_BUS).
type Notifier struct {
	SNS      *sns.Client
	TopicARN string
	Events   *eventbridge.Client
	Bus      string
}

// NewNotifier builds the clients the targets need; nil when neither is
// set (nothing to publish to).
func NewNotifier(cfg aws.Config, topicARN, bus string) *Notifier {
	if topicARN == "" && bus == "" {
		return nil
	}
	n := &Notifier{TopicARN: topicARN, Bus: bus}
	if topicARN != "" {
		n.SNS = sns.NewFromConfig(cfg)
	}
	if bus != "" {
		n.Events = eventbridge.NewFromConfig(cfg)
	}
	return n
}

// Publish sends one event to every target. The error is classified
// (jobs.Code), so the caller's retry knows a throttle from a bad request.
// A retried Publish may deliver twice to a target that succeeded the
// first time: subscribers deduplicate by notification_id.
func (n *Notifier) Publish(ctx context.Context, c jobs.Completion) error {
	body, err := c.Encode()
	if err != nil {
		return jobs.Wrap(jobs.CodeInternal, err, "publish completion")
	}
	var errs []error
	if n.TopicARN != "" {
		errs = append(errs, n.publishSNS(ctx, c, string(body)))
	}
	if n.Bus != "" {
		errs = append(errs, n.putEvent(ctx, c, string(body)))
	}
	return errors.Join(errs...)
}

func (n *Notifier) publishSNS(ctx context.Context, c jobs.Completion, body string) error {
	attrs := map[string]snstypes.MessageAttributeValue{}
	for k, v := range c.Attributes() {
		attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err := n.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(n.TopicARN), Message: aws.String(body), MessageAttributes: attrs,
		Subject: aws.String("batchinfer job " + c.Status),
	})
	return Classify(err, fmt.Sprintf("publish completion of job %s to %s", c.JobID, n.TopicARN))
}

func (n *Notifier) putEvent(ctx context.Context, c jobs.Completion, body string) error {
	doing := fmt.Sprintf("put completion event of job %s on bus %s", c.JobID, n.Bus)
	out, err := n.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(n.Bus), Source: aws.String(jobs.CompletionSource),
		DetailType: aws.String(jobs.CompletionDetailType), Detail: aws.String(body),
		Resources: []string{},
	}}})
	if err != nil {
		return Classify(err, doing)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		code := jobs.CodeServiceError // EventBridge's own entry failures are worth a retry
		if aws.ToString(e.ErrorCode) == "ThrottlingException" {
			code = jobs.CodeThrottled
		}
		return jobs.Errorf(code, "%s: %s: %s", doing, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return nil
}
