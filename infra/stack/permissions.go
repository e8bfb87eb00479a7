package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// addPermissions grants the worker exactly the data actions its pipeline
// performs, each on the one resource it needs. The CDK grant helpers
// (grantReadWriteData and friends) are avoided on purpose: they add
// actions the worker never calls (Scan, BatchWrite, s3:List*).
// Consuming the jobs queue is granted by the event source mapping itself.
func (b *BatchInfer) addPermissions() {
	for _, st := range b.dataStatements() {
		b.Function.AddToRolePolicy(st)
	}
}

// dataStatements are the worker's data permissions, shared by the function
// and the ECS poller's task role (poller.go): both run the same pipeline.
func (b *BatchInfer) dataStatements() []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	allow := func(sid string, actions []string, resources ...*string) {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings(actions...),
			Resources: &resources,
		}))
	}
	c := b.Config

	// Inputs: only objects under the notification prefix of the inbox.
	allow("ReadInputs", []string{"s3:GetObject", "s3:GetObjectVersion"},
		b.Inbox.ArnForObjects(jsii.String(c.InboxPrefix+"*")))
	// Full outputs.
	allow("WriteResults", []string{"s3:PutObject"}, b.Results.ArnForObjects(jsii.String("*")))
	// Claim, complete and read job items; Query the status index for
	// scheduled reprocessing, which resets each selected item with a
	// conditional DeleteItem (store.Results.Reset) before requeueing it.
	allow("JobItems", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, b.Table.TableArn())
	allow("QueryByStatus", []string{"dynamodb:Query"},
		jsii.String(fmt.Sprintf("%s/index/%s", *b.Table.TableArn(), StatusIndex)))
	// One BatchGetItem per ≤ 100 jobs finds finished duplicates (and the
	// inline inputs' reuse entries) before any work.
	allow("FindDuplicates", []string{"dynamodb:BatchGetItem"}, b.Table.TableArn())
	// Reuse entries of models that reuse results (worker/reuse.go): written
	// in batches after successful jobs, only under keys starting reuse#,
	// which no job id can take.
	out = append(out, b.reuseEntriesStatement("WriteReuseEntries", "dynamodb:BatchWriteItem"))
	// The feature tables, read only (state.go).
	if st := b.featureTablesStatement(); st != nil {
		out = append(out, st)
	}
	// Record files: CompleteUpload treats NoSuchUpload as done when the
	// output exists, a HeadObject, which needs s3:GetObject (multipart
	// create/part/complete are covered by s3:PutObject; the worker never
	// aborts an upload, the lifecycle rule does). A file paused with less
	// than a part of new lines carries them in a small object beside its
	// output, deleted once they are in a part.
	allow("CheckRecordOutputs", []string{"s3:GetObject"}, b.Results.ArnForObjects(jsii.String("*")))
	allow("RecordCarries", []string{"s3:DeleteObject"}, b.Results.ArnForObjects(jsii.String("*.carry.*")))
	// Permanent failures go to the DLQ with their error code.
	allow("DeadLetter", []string{"sqs:SendMessage"}, b.DeadLetters.QueueArn())
	// A reprocess event fans the matching jobs back out onto the jobs queue.
	allow("Reenqueue", []string{"sqs:SendMessage"}, b.Jobs.QueueArn())

	// Models kept in S3 (s3:// entries of the models context).
	for i, m := range c.Models {
		bucket, prefix, err := ParseS3URI(m)
		if err != nil {
			continue // bundled model: nothing to grant
		}
		arn := awscdk.Arn_Format(&awscdk.ArnComponents{
			Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""),
			Resource: jsii.String(bucket),
		}, b.Stack)
		allow(fmt.Sprintf("ReadModel%d", i), []string{"s3:GetObject"}, jsii.String(*arn+"/"+prefix+"*"))
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(fmt.Sprintf("ListModel%d", i)),
			Actions:    jsii.Strings("s3:ListBucket"),
			Resources:  jsii.Strings(*arn),
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{prefix + "*"}}},
		}))
	}
	return out
}
