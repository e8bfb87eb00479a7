package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// sendJobTemplate turns the validated body into the message the worker
// reads, its job_id the body's or else the request id, and sends it with
// SendMessageBatch: the batch answer echoes the entry id, which is how the
// response template learns the job id (hence the model's narrow job_id
// pattern, an entry id's alphabet).
const sendJobTemplate = `#set($id = $input.path('$.job_id'))
#if("$!id" == "")#set($id = $context.requestId)#end
#set($msg = '{"job_id":"' + $id + '","input":' + $input.json('$.input'))
#if("$!input.path('$.model')" != "")#set($msg = $msg + ',"model":' + $input.json('$.model'))#end
#if("$!input.path('$.metadata')" != "")#set($msg = $msg + ',"metadata":' + $input.json('$.metadata'))#end
#set($msg = $msg + '}')
Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=$util.urlEncode($id)&SendMessageBatchRequestEntry.1.MessageBody=$util.urlEncode($msg)`

const queuedTemplate = `#set($r = $input.path('$.SendMessageBatchResponse.SendMessageBatchResult'))
#if("$!r.Failed" != "" && $r.Failed.size() > 0)#set($context.responseOverride.status = 500){"message": "Internal server error"}#else{"job_id": "$r.Successful[0].Id", "status": "QUEUED"}#end`

// getItemTemplate and itemTemplate read one item and map it to the job
// JSON of GET /v1/jobs/{job_id}: the contract's fields; output values that
// are strings, numbers or booleans plainly, nested ones as DynamoDB JSON.
const getItemTemplate = `{"TableName": "%s", "Key": {"job_id": {"S": "$util.escapeJavaScript($input.params('job_id'))"}}, "ConsistentRead": true}`

const itemTemplate = `#set($i = $input.path('$.Item'))
#if("$!i" == "" || "$!i.job_id" == "")#set($context.responseOverride.status = 404){"message": "Not Found"}#else
{"job_id": "$util.escapeJavaScript($i.job_id.S)", "status": "$i.status.S", "attempts": #if("$!i.attempts.N" != "")$i.attempts.N#{else}0#end
#foreach($f in ["model", "model_version", "input", "output_uri", "created_at", "updated_at"])#if("$!i.get($f).S" != ""), "$f": "$util.escapeJavaScript($i.get($f).S)"#end#end
#if("$!i.error" != ""), "error": {"code": "$i.error.M.code.S", "message": "$util.escapeJavaScript($i.error.M.message.S)"}#end
#if("$!i.output" != ""), "output": {#foreach($k in $i.output.M.keySet())#set($v = $i.output.M.get($k))"$util.escapeJavaScript($k)": #if("$!v.S" != "")"$util.escapeJavaScript($v.S)"#elseif("$!v.N" != "")$v.N#elseif("$!v.BOOL" != "")$v.BOOL#else$input.json("$.Item.output.M['$k']")#end#if($foreach.hasNext), #end#end}#end
}#end`

const internalError = `{"message": "Internal server error"}`

func jsonTemplate(s string) *map[string]*string {
	return &map[string]*string{"application/json": jsii.String(s)}
}

func methodResponses(codes ...string) *[]*awsapigateway.MethodResponse {
	out := make([]*awsapigateway.MethodResponse, len(codes))
	for i, c := range codes {
		out[i] = &awsapigateway.MethodResponse{StatusCode: jsii.String(c)}
	}
	return &out
}

func (b *BatchInfer) addPostJob(res awsapigateway.Resource, role awsiam.IRole, v awsapigateway.IRequestValidator) {
	path := awscdk.Fn_Join(jsii.String("/"), jsii.Strings(*awscdk.Aws_ACCOUNT_ID(), *b.Jobs.QueueName()))
	integ := awsapigateway.NewAwsIntegration(&awsapigateway.AwsIntegrationProps{
		Service: jsii.String("sqs"), Path: path, IntegrationHttpMethod: jsii.String("POST"),
		Options: &awsapigateway.IntegrationOptions{
			CredentialsRole:     role,
			PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
			RequestParameters: &map[string]*string{
				"integration.request.header.Content-Type": jsii.String("'application/x-www-form-urlencoded'"),
			},
			RequestTemplates: jsonTemplate(sendJobTemplate + b.fifoSendParams()),
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{
				{StatusCode: jsii.String("202"), ResponseTemplates: jsonTemplate(queuedTemplate)},
				{StatusCode: jsii.String("500"), SelectionPattern: jsii.String(`[45]\d{2}`), ResponseTemplates: jsonTemplate(internalError)},
			},
		},
	})
	res.AddMethod(jsii.String("POST"), integ, &awsapigateway.MethodOptions{
		ApiKeyRequired: jsii.Bool(true), RequestValidator: v,
		RequestModels:   &map[string]awsapigateway.IModel{"application/json": b.jobModel()},
		MethodResponses: methodResponses("202", "400", "500"),
	})
}

func (b *BatchInfer) addGetJob(res awsapigateway.Resource, role awsiam.IRole, v awsapigateway.IRequestValidator) {
	integ := awsapigateway.NewAwsIntegration(&awsapigateway.AwsIntegrationProps{
		Service: jsii.String("dynamodb"), Action: jsii.String("GetItem"), IntegrationHttpMethod: jsii.String("POST"),
		Options: &awsapigateway.IntegrationOptions{
			CredentialsRole:     role,
			PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
			RequestTemplates:    jsonTemplate(fmt.Sprintf(getItemTemplate, *b.Table.TableName())),
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{
				{StatusCode: jsii.String("200"), ResponseTemplates: jsonTemplate(itemTemplate)},
				{StatusCode: jsii.String("500"), SelectionPattern: jsii.String(`[45]\d{2}`), ResponseTemplates: jsonTemplate(internalError)},
			},
		},
	})
	res.AddMethod(jsii.String("GET"), integ, &awsapigateway.MethodOptions{
		ApiKeyRequired: jsii.Bool(true), RequestValidator: v,
		RequestParameters: &map[string]*bool{"method.request.path.job_id": jsii.Bool(true)},
		MethodResponses:   methodResponses("200", "404", "500"),
	})
}
