package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// addStorage creates the inbox and results buckets and the results table.
// Data resources are retained when the stack is deleted: results are the
// product, and deleting a stack should not delete them.
func (b *BatchInfer) addStorage() {
	bucket := func(id string, rules []*awss3.LifecycleRule) awss3.Bucket {
		return awss3.NewBucket(b.Stack, jsii.String(id), &awss3.BucketProps{
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			LifecycleRules:    &rules,
		})
	}
	abortUploads := &awss3.LifecycleRule{
		Id:                                  jsii.String("abort-incomplete-uploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}
	b.Inbox = bucket("Inbox", []*awss3.LifecycleRule{abortUploads})
	b.Results = bucket("Results", []*awss3.LifecycleRule{resultsAbortRule(), {
		Id:         jsii.String("expire-results"),
		Expiration: awscdk.Duration_Days(jsii.Number(float64(b.Config.ResultsExpireDays))),
	}})

	var warm *awsdynamodb.WarmThroughput
	if w := b.Config.WarmWritesPerSecond; w > 0 {
		warm = &awsdynamodb.WarmThroughput{WriteUnitsPerSecond: jsii.Number(float64(w))}
	}
	b.Table = awsdynamodb.NewTable(b.Stack, jsii.String("ResultsTable"), &awsdynamodb.TableProps{
		WarmThroughput:      warm,
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("job_id"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String("expires_at"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:    awsdynamodb.TableEncryption_AWS_MANAGED,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The status index, write-sharded (store/statusindex.go): partition
	// key status_shard (SUCCEEDED#7 of 32), sort key updated_at, and only
	// the attributes listing and reprocessing read, so an entry costs one
	// write unit whatever the output and no status takes one partition's
	// 1,000 write units a second (docs/scale.md).
	b.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:        jsii.String(StatusIndex),
		PartitionKey:     &awsdynamodb.Attribute{Name: jsii.String(StatusShardAttr), Type: awsdynamodb.AttributeType_STRING},
		SortKey:          &awsdynamodb.Attribute{Name: jsii.String("updated_at"), Type: awsdynamodb.AttributeType_STRING},
		ProjectionType:   awsdynamodb.ProjectionType_INCLUDE,
		NonKeyAttributes: jsii.Strings(IndexProjection...),
		WarmThroughput:   warm,
	})
	if b.Config.LegacyStatusIndex {
		// Kept for one deployment while a stack moves off it: CloudFormation
		// adds or removes one index per table update (docs/deploy.md).
		b.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(LegacyStatusIndex),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String("status"), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String("updated_at"), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
}
