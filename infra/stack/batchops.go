package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// S3 Batch Operations: where its manifests are read from (in the inbox) and
// where its completion reports go (in the results bucket).
const (
	BatchManifestPrefix = "batch-manifests/"
	BatchReportPrefix   = "batch-reports"
	// BatchOpsPrincipal is the service that assumes the Batch Operations role.
	BatchOpsPrincipal = "batchoperations.s3.amazonaws.com"
)

// RecordUploadAbortDays is how long the results bucket keeps an incomplete
// multipart upload: a record file's output is one, continued across
// invocations (and continuation messages), so it must outlive the jobs
// queue's 4-day retention; an upload abandoned for good goes after a week.
const RecordUploadAbortDays = 7

// resultsAbortRule is the results bucket's AbortIncompleteMultipartUpload rule.
func resultsAbortRule() *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id:                                  jsii.String("abort-abandoned-record-uploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(RecordUploadAbortDays)),
	}
}

// addBatchOps adds what record files and S3 Batch Operations need beyond
// the base stack: the routes variable, the worker's extra grants, the role
// Batch Operations assumes, and an example job request as an output.
func (b *BatchInfer) addBatchOps() {
	b.BatchOpsRole = b.batchOpsRole()
	if b.Config.InboxPrefix == "" || strings.HasPrefix(BatchManifestPrefix, b.Config.InboxPrefix) {
		awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("batchinfer:batchManifestIsAJob"), jsii.String(fmt.Sprintf(
			"inboxPrefix %q covers %s: a Batch Operations manifest (or an S3 Inventory report) put there would also become a job; set inboxPrefix (e.g. incoming/)",
			b.Config.InboxPrefix, BatchManifestPrefix)), nil)
	}
	out := func(id string, v *string, desc string) {
		awscdk.NewCfnOutput(b.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("BatchOperationsRoleArn", b.BatchOpsRole.RoleArn(), "the role for aws s3control create-job --role-arn (S3 Batch Operations invoking the worker)")
	out("BatchJobExample", b.Stack.ToJsonString(b.BatchJobRequest("manifest.csv", "<manifest ETag>"), nil),
		"aws s3control create-job --cli-input-json: fill in the manifest key and ETag (docs/deploy.md)")
}

// batchOpsRole is the role S3 Batch Operations assumes to run a LambdaInvoke
// job: invoke the worker (any version or alias), read manifests under
// BatchManifestPrefix of the inbox, write reports under BatchReportPrefix of
// the results bucket. The objects themselves are read by the worker's role.
func (b *BatchInfer) batchOpsRole() awsiam.Role {
	role := awsiam.NewRole(b.Stack, jsii.String("BatchOperationsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String(BatchOpsPrincipal), nil),
		Description: jsii.String("S3 Batch Operations LambdaInvoke jobs on the batchinfer worker"),
	})
	allow := func(sid string, actions []string, resources ...*string) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources,
		}))
	}
	fn := b.Function.FunctionArn()
	allow("InvokeWorker", []string{"lambda:InvokeFunction"}, fn, jsii.String(*fn+":*"))
	allow("ReadManifests", []string{"s3:GetObject", "s3:GetObjectVersion"}, b.Inbox.ArnForObjects(jsii.String(BatchManifestPrefix+"*")))
	allow("WriteReports", []string{"s3:PutObject"}, b.Results.ArnForObjects(jsii.String(BatchReportPrefix+"/*")))
	allow("LocateBuckets", []string{"s3:GetBucketLocation"}, b.Inbox.BucketArn(), b.Results.BucketArn())
	return role
}

// BatchJobRequest is the `aws s3control create-job --cli-input-json` body of
// a LambdaInvoke job (invocation schema 2.0) on the worker: the CSV
// manifest s3://<inbox>/batch-manifests/<manifestKey> (rows bucket,key),
// a report of every task to s3://<results>/batch-reports/. It is an example
// to fill in, never run by the stack: ETag is the manifest object's.
func (b *BatchInfer) BatchJobRequest(manifestKey, etag string) map[string]any {
	return map[string]any{
		"AccountId":            b.Stack.Account(),
		"ConfirmationRequired": true,
		"Priority":             10,
		"RoleArn":              b.BatchOpsRole.RoleArn(),
		"Description":          "batchinfer: one job per listed object",
		"Operation": map[string]any{"LambdaInvoke": map[string]any{
			"FunctionArn":             b.Function.FunctionArn(),
			"InvocationSchemaVersion": "2.0",
		}},
		"Manifest": map[string]any{
			"Spec": map[string]any{"Format": "S3BatchOperations_CSV_20180820", "Fields": []string{"Bucket", "Key"}},
			"Location": map[string]any{
				"ObjectArn": b.Inbox.ArnForObjects(jsii.String(BatchManifestPrefix + manifestKey)),
				"ETag":      etag,
			},
		},
		"Report": map[string]any{
			"Bucket":      b.Results.BucketArn(),
			"Prefix":      BatchReportPrefix,
			"Format":      "Report_CSV_20180820",
			"Enabled":     true,
			"ReportScope": "AllTasks",
		},
	}
}

// routesFromContext reads the "routes" context: "prefix=model,..." as
// BATCHINFER_ROUTES takes it, or (from cdk.json) an object
// {"prefix": "model"}, written out in key order.
func routesFromContext(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			m, ok := v[k].(string)
			if !ok {
				return "", fmt.Errorf("context %q: the model of prefix %q is %v, not a name", "routes", k, v[k])
			}
			parts[i] = k + "=" + m
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("context %q: %v is neither \"prefix=model,...\" nor an object", "routes", v)
}

// validateRoutes checks BATCHINFER_ROUTES as the worker parses it
// (worker.ParseRoutes), so a typo fails synthesis, not the cold start.
func validateRoutes(s string) error {
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		prefix, model, ok := strings.Cut(f, "=")
		prefix, model = strings.TrimSpace(prefix), strings.TrimSpace(model)
		switch {
		case !ok || model == "":
			return fmt.Errorf("context %q: %q is not prefix=model", "routes", f)
		case seen[prefix]:
			return fmt.Errorf("context %q: prefix %q is routed twice", "routes", prefix)
		}
		seen[prefix] = true
	}
	return nil
}
