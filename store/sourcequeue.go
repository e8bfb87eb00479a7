package store

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SourceQueues reaches the queues events come from, named by the
// eventSourceARN of their records: the worker delays the redelivery of the
// messages it hands back (ChangeMessageVisibilityBatch) without being told
// each queue's URL.
type SourceQueues struct {
	Client *sqs.Client
	// QueueURL is the configured jobs queue (BATCHINFER_QUEUE_URL): used
	// whenever an ARN names its queue, so a URL set by hand always wins.
	QueueURL string

	mu   sync.Mutex
	urls map[string]string
}

// ChangeVisibility applies changes to the messages of the queue queueARN
// names, in ChangeMessageVisibilityBatch calls of ten.
func (s *SourceQueues) ChangeVisibility(ctx context.Context, queueARN string, changes []VisibilityChange) error {
	u, err := s.URL(ctx, queueARN)
	if err != nil {
		return err
	}
	return (&Queue{Client: s.Client, URL: u}).ChangeVisibilityBatch(ctx, changes)
}

// URL is the queue URL of queueARN: QueueURL when its last path segment is
// the ARN's queue name; else, on AWS, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
// as the SDK's endpoint resolution names the region's host (no call); and
// with an endpoint override (AWS_ENDPOINT_URL_SQS), one GetQueueUrl: an
// emulator names its queues its own way (fauxqs:
// http://sqs.REGION.localhost:PORT/ACCOUNT/NAME) and only knows them by it.
func (s *SourceQueues) URL(ctx context.Context, queueARN string) (string, error) {
	s.mu.Lock()
	u, ok := s.urls[queueARN]
	s.mu.Unlock()
	if ok {
		return u, nil
	}
	region, account, name, err := ParseQueueARN(queueARN)
	if err != nil {
		return "", err
	}
	if s.QueueURL != "" && path.Base(s.QueueURL) == name {
		u = s.QueueURL
	} else if u, err = s.derive(ctx, region, account, name); err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.urls == nil {
		s.urls = map[string]string{}
	}
	s.urls[queueARN] = u
	s.mu.Unlock()
	return u, nil
}

func (s *SourceQueues) derive(ctx context.Context, region, account, name string) (string, error) {
	o := s.Client.Options()
	if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
		out, err := s.Client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(account)})
		if err != nil {
			return "", Classify(err, "get the URL of queue "+name)
		}
		return aws.ToString(out.QueueUrl), nil
	}
	ep, err := sqs.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, sqs.EndpointParameters{
		Region: aws.String(region), Endpoint: o.BaseEndpoint, UseFIPS: aws.Bool(false), UseDualStack: aws.Bool(false),
	})
	if err != nil {
		return "", fmt.Errorf("resolve the SQS endpoint of %s in %s: %w", name, region, err)
	}
	base := ep.URI
	base.Path = strings.TrimSuffix(base.Path, "/") + "/" + url.PathEscape(account) + "/" + url.PathEscape(name)
	return base.String(), nil
}

// ParseQueueARN splits arn:PARTITION:sqs:REGION:ACCOUNT:NAME.
func ParseQueueARN(arn string) (region, account, name string, err error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", "", "", fmt.Errorf("%q is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", arn)
	}
	return p[3], p[4], p[5], nil
}

// IsFIFOQueue reports whether the queue an ARN or URL names is a FIFO
// queue (its name ends in .fifo).
func IsFIFOQueue(arnOrURL string) bool { return strings.HasSuffix(arnOrURL, ".fifo") }
