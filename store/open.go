package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// OpenOptions name a deployment's resources: the worker's, or the few an
// operator command or the API needs (the rest left "").
type OpenOptions struct {
	ResultsTable  string
	ResultsBucket string
	ResultsPrefix string
	DLQURL        string
	QueueURL      string // the jobs queue; "" leaves Queue nil
	MaxInputBytes int64
	ResultTTL     time.Duration
	// NotifyTopicARN and NotifyEventBus are where completion events go
	// ("" for neither leaves Notifier nil).
	NotifyTopicARN, NotifyEventBus string
}

// Adapters are every AWS adapter, built once from the SDK's default
// configuration (endpoints from AWS_ENDPOINT_URL*) with request counting on
// every client, for the worker, the API and the operator commands alike.
type Adapters struct {
	Results     *Results
	Inputs      *Inputs
	Outputs     *Outputs
	DeadLetters *DeadLetters
	Queue       *Queue // the jobs queue; nil without OpenOptions.QueueURL
	// Sources reaches the queues events come from (retry backoff).
	Sources  *SourceQueues
	Objects  *Objects
	Notifier *Notifier // nil without a topic or bus
	Requests *RequestCounter
	Region   string
}

// Open builds the adapters.
func Open(ctx context.Context, o OpenOptions) (*Adapters, error) {
	cfg, err := LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return OpenWith(cfg, o), nil
}

// OpenWith builds the adapters from cfg (tests and benchmarks point it at
// emulators or a fault proxy).
func OpenWith(cfg aws.Config, o OpenOptions) *Adapters {
	a := &Adapters{Requests: CountRequests(&cfg), Region: cfg.Region}
	s3c, sqsc := NewS3Client(cfg), sqs.NewFromConfig(cfg)
	a.Results = &Results{Client: dynamodb.NewFromConfig(cfg), Table: o.ResultsTable, TTL: o.ResultTTL}
	a.Inputs = &Inputs{Client: s3c, MaxBytes: o.MaxInputBytes}
	a.Outputs = &Outputs{Client: s3c, Bucket: o.ResultsBucket, Prefix: o.ResultsPrefix}
	a.DeadLetters = &DeadLetters{Client: sqsc, QueueURL: o.DLQURL}
	a.Objects = &Objects{Client: s3c}
	a.Sources = &SourceQueues{Client: sqsc, QueueURL: o.QueueURL}
	if o.QueueURL != "" {
		a.Queue = &Queue{Client: sqsc, URL: o.QueueURL}
	}
	a.Notifier = NewNotifier(cfg, o.NotifyTopicARN, o.NotifyEventBus)
	return a
}

// Objects answers questions about S3 objects: their current version, and
// copies of model prefixes.
type Objects struct {
	Client *s3.Client
}

// ObjectVersion returns s3://bucket/key's current version id and ETag.
func (o *Objects) ObjectVersion(ctx context.Context, bucket, key string) (versionID, etag string, err error) {
	return ObjectVersion(ctx, o.Client, bucket, key)
}

// SyncPrefix copies an s3:// model prefix into dir, kept by ETag (the
// function SyncPrefix).
func (o *Objects) SyncPrefix(ctx context.Context, uri, dir string) (bool, error) {
	return SyncPrefix(ctx, o.Client, uri, dir)
}
