package stack

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// UploadsCommand is the binary's command (and the zip's handler name) the
// uploads function runs: the same image or zip as the worker.
const UploadsCommand = "uploads"

// UploadPrefix is where presigned uploads land in the inbox, under the
// notification prefix so each upload becomes a job.
func (c Config) UploadPrefix() string { return c.InboxPrefix + "uploads/" }

// addUploads serves POST /v1/uploads with a small second function: it
// presigns a size-capped, short-lived PUT under UploadPrefix.
func (b *BatchInfer) addUploads(res awsapigateway.Resource) {
	c := b.Config
	env := map[string]*string{
		"BATCHINFER_UPLOAD_BUCKET":    b.Inbox.BucketName(),
		"BATCHINFER_UPLOAD_PREFIX":    jsii.String(c.UploadPrefix()),
		"BATCHINFER_UPLOAD_MAX_BYTES": jsii.String(strconv.FormatInt(c.MaxInputBytes, 10)),
		"BATCHINFER_UPLOAD_EXPIRY":    jsii.String("5m"),
	}
	opts := awslambda.FunctionOptions{
		Description:  jsii.String("batchinfer uploads: presigned PUT URLs into the inbox"),
		Architecture: b.architecture(),
		MemorySize:   jsii.Number(256),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(10)),
		Environment:  &env,
	}
	if c.Variant == VariantImage {
		b.Uploads = awslambda.NewDockerImageFunction(b.Stack, jsii.String("Uploads"), &awslambda.DockerImageFunctionProps{
			Code: b.imageCode([]string{UploadsCommand}), Description: opts.Description, Architecture: opts.Architecture,
			MemorySize: opts.MemorySize, Timeout: opts.Timeout, Environment: opts.Environment,
		})
	} else {
		b.Uploads = awslambda.NewFunction(b.Stack, jsii.String("Uploads"), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String(UploadsCommand),
			Code:        awslambda.Code_FromAsset(jsii.String(c.BundleDir+"/"+BundleFunction), nil),
			Description: opts.Description, Architecture: opts.Architecture,
			MemorySize: opts.MemorySize, Timeout: opts.Timeout, Environment: opts.Environment,
		})
	}
	// Presigning signs with the function's role: the URL can do only what
	// the role may, a PUT under the upload prefix.
	b.Uploads.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("PresignUploads"), Actions: jsii.Strings("s3:PutObject"),
		Resources: &[]*string{b.Inbox.ArnForObjects(jsii.String(c.UploadPrefix() + "*"))},
	}))
	res.AddMethod(jsii.String("POST"), awsapigateway.NewLambdaIntegration(b.Uploads, nil), &awsapigateway.MethodOptions{
		ApiKeyRequired: jsii.Bool(true), MethodResponses: methodResponses("200", "400"),
	})
}

// imageCode is the worker's image asset with another command.
func (b *BatchInfer) imageCode(cmd []string) awslambda.DockerImageCode {
	return awslambda.DockerImageCode_FromImageAsset(jsii.String(b.Config.RepoDir), b.imageProps(cmd))
}
