package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The results table's status index (store/statusindex.go): the worker's
// constants, checked by contract_test.go.
const (
	// StatusIndex is the write-sharded GSI for listing by status and time.
	StatusIndex = "status_shard-updated_at"
	// StatusShardAttr is its partition key: STATUS#shard.
	StatusShardAttr = "status_shard"
	// LegacyStatusIndex is the index it replaces (key status, projection
	// ALL), kept only with context legacyStatusIndex.
	LegacyStatusIndex = "status-updated_at"
)

// IndexProjection is what the status index carries besides its keys.
var IndexProjection = []string{"status", "model", "model_version", "input", "error", "attempts", "created_at", "metadata"}

// BatchInfer is the synthesised stack and the resources it holds, for tests
// and for apps that extend it.
type BatchInfer struct {
	Stack       awscdk.Stack
	Config      Config
	Inbox       awss3.Bucket
	Results     awss3.Bucket
	Jobs        awssqs.Queue
	DeadLetters awssqs.Queue
	Table       awsdynamodb.Table
	Function    awslambda.Function
	Reprocess   awsscheduler.Schedule
	Dashboard   awscloudwatch.Dashboard
	API         awsapigateway.RestApi          // api.go
	Uploads     awslambda.Function             // api_uploads.go
	Topic       awssns.Topic                   // notify.go
	FailedJobs  awssqs.Queue                   // notify.go: the example subscription
	Alarms      map[string]awscloudwatch.Alarm // keyed by AlarmDLQ, AlarmOldestMessage, ...

	// BatchOpsRole is assumed by S3 Batch Operations (batchops.go).
	BatchOpsRole awsiam.Role

	// Poller is the ECS poller when context "poller" is set (poller.go), else nil.
	Poller *Poller
}

// New defines the stack in scope. cfg is defaulted and validated first, so
// an impossible configuration (say a visibility timeout under 6 × the
// function timeout) returns an error before any construct exists.
func New(scope constructs.Construct, id string, cfg Config, props *awscdk.StackProps) (*BatchInfer, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("batchinfer stack %s: %w", id, err)
	}
	if err := checkAssets(cfg); err != nil {
		return nil, fmt.Errorf("batchinfer stack %s: %w", id, err)
	}
	b := &BatchInfer{Stack: awscdk.NewStack(scope, jsii.String(id), props), Config: cfg}
	b.addStorage()
	b.addQueues()
	b.addFunction()
	b.addPermissions()
	b.addAPI()
	b.addNotifications()
	b.addPoller()
	b.addBatchOps()
	b.addSchedule()
	b.addAlarms()
	b.addPredict()
	b.addOutputs()
	return b, nil
}

func (b *BatchInfer) addOutputs() {
	out := func(id string, v *string, desc string) {
		awscdk.NewCfnOutput(b.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("JobsQueueUrl", b.Jobs.QueueUrl(), "send inline jobs here (batchinfer submit)")
	out("DeadLetterQueueUrl", b.DeadLetters.QueueUrl(), "failed jobs with their error code (batchinfer dlq)")
	out("InboxBucketName", b.Inbox.BucketName(), "drop files here; each object becomes a job")
	out("ResultsBucketName", b.Results.BucketName(), "full outputs, one JSON object per job")
	out("ResultsTableName", b.Table.TableName(), "one item per job (batchinfer results)")
	out("FunctionName", b.Function.FunctionName(), "the worker")
	out("DashboardName", b.Dashboard.DashboardName(), "CloudWatch dashboard")
}
