package main

// The AWS quotas and behaviours the model runs into, each with the page it
// comes from. Defaults are the per-account, per-region values of a new
// account in us-east-1; "adjustable" ones can be raised through Service
// Quotas, and the report names them so.

// Lambda.
const (
	// AccountConcurrency is the default concurrent executions quota per
	// account and region (adjustable). Source: Lambda Developer Guide,
	// "Lambda quotas" (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
	AccountConcurrency = 1000
	// ESMMaxConcurrencyCap is the largest MaximumConcurrency an SQS event
	// source accepts (2..1000). Source: Lambda Developer Guide, "Configuring
	// maximum concurrency for Amazon SQS event sources" (with-sqs.html#events-sqs-max-concurrency).
	ESMMaxConcurrencyCap = 1000
	// ESMStandardStart, ESMStandardRampPerMin and ESMStandardCeiling: an SQS
	// event source in default (on-demand) mode starts with five concurrent
	// batches, adds up to 300 concurrent invocations a minute, and stops at
	// 1,250. Source: Lambda Developer Guide, "Scaling behavior for Amazon SQS
	// event source mappings" (services-sqs-scaling.html).
	ESMStandardStart      = 5
	ESMStandardRampPerMin = 300
	ESMStandardCeiling    = 1250
	// ESMProvisionedRampPerMin and ESMProvisionedCeiling: in provisioned mode
	// the event source scales by up to 1,000 concurrent invocations a minute
	// up to 20,000. One event poller handles up to 1 MB/s, up to 10
	// concurrent invocations and up to 10 polling calls a second; minimum
	// pollers 2..200, maximum 2..2,000. Source: same page, "Provisioned mode".
	ESMProvisionedRampPerMin = 1000
	ESMProvisionedCeiling    = 20000
	ESMPollerInvocations     = 10
	ESMPollerCallsPerSecond  = 10
	ESMPollerBytesPerSecond  = 1 << 20
	SQSReceiveMaxMessages    = 10 // ReceiveMessage returns at most 10 (SQS API Reference)
	LambdaMaxMemoryMiB       = 10240
	LambdaMiBPerVCPU         = 1769 // "at 1,769 MB a function has the equivalent of one vCPU" (configuration-memory.html)
	LambdaMaxVCPU            = 6
)

// SQS. Source: Amazon SQS Developer Guide, "Amazon SQS message quotas"
// (quotas-messages.html): in-flight messages per queue.
const (
	SQSInFlightStandard = 120000
	SQSInFlightFIFO     = 20000
	SQSChunkBytes       = 64 << 10 // each 64 KB chunk of a payload is billed as one request (SQS pricing)
)

// DynamoDB. Sources: DynamoDB Developer Guide, "Service, account, and
// table quotas" (ServiceQuotas.html), "Partitions and data distribution"
// (HowItWorks.Partitions.html), "Best practices for designing and using
// partition keys effectively" (bp-partition-key-design.html), "On-demand
// capacity mode" (on-demand-capacity-mode.html), "Using Global Secondary
// Indexes" (GSI.html, "Provisioned throughput considerations": "a write to
// a table whose GSI is throttled is throttled too").
const (
	PartitionWCU = 1000 // per partition: 1,000 write units a second ...
	PartitionRCU = 3000 // ... and 3,000 read units
	// TableOnDemandMaxWRU / RRU: the default per-table on-demand throughput
	// quota (adjustable); each global secondary index has its own.
	TableOnDemandMaxWRU = 40000
	TableOnDemandMaxRRU = 40000
	// OnDemandNewTableWRU: a new on-demand table serves up to 4,000 writes a
	// second at once; beyond, it serves up to double its previous peak and
	// takes up to 30 minutes to double again (warm throughput pre-warms it).
	OnDemandNewTableWRU    = 4000
	OnDemandDoublingMinute = 30
	WriteUnitBytes         = 1024 // a write unit is 1 KB, rounded up per item
	ReadUnitBytes          = 4096 // a (strongly consistent) read unit is 4 KB
)

// S3. Source: Amazon S3 User Guide, "Best practices design patterns:
// optimizing Amazon S3 performance" (optimizing-performance.html): at least
// 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests a second per
// partitioned prefix; S3 partitions a busy prefix gradually, answering 503
// Slow Down while it does.
const (
	S3PutPerPrefix = 3500
	S3GetPerPrefix = 5500
)

// Notifications. Sources: "Amazon SNS endpoints and quotas" (General
// Reference, sns.html): Publish, us-east-1, 30,000 messages a second
// (9,000 in us-west-2 and eu-west-1, 1,500 elsewhere; adjustable);
// "Amazon EventBridge quotas" (eb-quota.html): PutEvents, us-east-1,
// 10,000 requests a second (up to 10 entries each; adjustable). The worker
// sends one entry per PutEvents call (store/notify.go).
const (
	SNSPublishPerSecond        = 30000
	EventBridgePutEventsPerSec = 10000
	EventBridgeEntriesPerCall  = 1 // store/notify.go: one entry per call
)

// CloudWatch. Sources: CloudWatch Logs quotas (cloudwatch_limits_cwl.html):
// PutLogEvents 5,000 transactions a second per account and region
// (adjustable), 1 MB per batch; pricing page: $0.50 per GB ingested. EMF
// metrics are log lines: no PutMetricData calls, no per-call quota beyond
// the logs'. Lambda delivers its functions' logs itself; ECS tasks' awslogs
// driver calls PutLogEvents about once a second per task.
const (
	LogsPutPerSecond = 5000
	LogsPerGB        = 0.50
)

// Fargate. Source: "Amazon ECS service quotas" and AWS Fargate pricing; a
// task starts in roughly a minute (image pull dominates); Application Auto
// Scaling's target tracking acts on one-minute metrics with alarms of three
// data points (scale out) — "Target tracking scaling policies for
// Application Auto Scaling".
const (
	FargateTaskStartSeconds   = 60
	TargetTrackingReactSecond = 180
	FargateMaxVCPUPerTask     = 16
)
