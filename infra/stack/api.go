package stack

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// JobSchema is the REST API's request model of POST /v1/jobs (JSON Schema
// draft 4, as API Gateway takes it). docs/api.yaml holds the same schema;
// a test in the main module keeps the two equal.
//
//go:embed jobschema.json
var JobSchema []byte

// APIConfig is the front door's usage plan, from context.
type APIConfig struct {
	RateLimit   float64 // "apiRateLimit": steady requests per second per key
	BurstLimit  int     // "apiBurstLimit"
	QuotaLimit  int     // "apiQuotaLimit": requests per QuotaPeriod per key
	QuotaPeriod string  // "apiQuotaPeriod": DAY, WEEK or MONTH
}

func (a APIConfig) defaults() APIConfig {
	if a.RateLimit == 0 {
		a.RateLimit = 50
	}
	if a.BurstLimit == 0 {
		a.BurstLimit = 100
	}
	if a.QuotaLimit == 0 {
		a.QuotaLimit = 100000
	}
	if a.QuotaPeriod == "" {
		a.QuotaPeriod = "DAY"
	}
	return a
}

func (a APIConfig) validate() error {
	switch {
	case a.RateLimit < 0 || a.BurstLimit < 0 || a.QuotaLimit < 0:
		return fmt.Errorf("context \"apiRateLimit\", \"apiBurstLimit\", \"apiQuotaLimit\": must not be negative")
	case a.QuotaPeriod != "DAY" && a.QuotaPeriod != "WEEK" && a.QuotaPeriod != "MONTH":
		return fmt.Errorf("context %q: %q is not DAY, WEEK or MONTH", "apiQuotaPeriod", a.QuotaPeriod)
	}
	return nil
}

// apiFromContext reads APIConfig with ConfigFromContext's getter.
func apiFromContext(get func(string) (string, bool)) (APIConfig, error) {
	var a APIConfig
	var err error
	if v, ok := get("apiRateLimit"); ok {
		if a.RateLimit, err = strconv.ParseFloat(v, 64); err != nil {
			return a, fmt.Errorf("context %q: %q is not a number", "apiRateLimit", v)
		}
	}
	for key, dst := range map[string]*int{"apiBurstLimit": &a.BurstLimit, "apiQuotaLimit": &a.QuotaLimit} {
		if v, ok := get(key); ok {
			if *dst, err = strconv.Atoi(v); err != nil {
				return a, fmt.Errorf("context %q: %q is not an integer", key, v)
			}
		}
	}
	if v, ok := get("apiQuotaPeriod"); ok {
		a.QuotaPeriod = v
	}
	return a, nil
}

// addAPI creates the REST API: POST /v1/jobs straight into the jobs queue,
// GET /v1/jobs/{job_id} straight from the table (no Lambda in either
// path), POST /v1/uploads through the uploads function; every method
// needs an API key, throttled and capped by the usage plan.
func (b *BatchInfer) addAPI() {
	logs := awslogs.NewLogGroup(b.Stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	b.API = awsapigateway.NewRestApi(b.Stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description:      jsii.String("batchinfer front door (docs/api.yaml)"),
		EndpointTypes:    &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		ApiKeySourceType: awsapigateway.ApiKeySourceType_HEADER,
		CloudWatchRole:   jsii.Bool(true),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String("prod"),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(logs),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true), Protocol: jsii.Bool(true),
				RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true), ResponseLength: jsii.Bool(true),
				Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
			MetricsEnabled: jsii.Bool(true),
		},
	})
	b.addGatewayResponses()
	role := b.apiRole()
	validator := b.API.AddRequestValidator(jsii.String("BodyValidator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestBody: jsii.Bool(true), ValidateRequestParameters: jsii.Bool(true),
	})
	v1 := b.API.Root().AddResource(jsii.String("v1"), nil)
	jobsRes := v1.AddResource(jsii.String("jobs"), nil)
	b.addPostJob(jobsRes, role, validator)
	b.addGetJob(jobsRes.AddResource(jsii.String("{job_id}"), nil), role, validator)
	b.addUploads(v1.AddResource(jsii.String("uploads"), nil))
	b.addUsagePlan()
}

// apiRole is what API Gateway assumes for the direct integrations: send to
// the jobs queue and read one item of the table, nothing else.
func (b *BatchInfer) apiRole() awsiam.Role {
	role := awsiam.NewRole(b.Stack, jsii.String("ApiIntegrationRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("batchinfer REST API: SendMessage to the jobs queue, GetItem on the results table"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("SendJobs"), Actions: jsii.Strings("sqs:SendMessage"), Resources: jsii.Strings(*b.Jobs.QueueArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadJobItems"), Actions: jsii.Strings("dynamodb:GetItem"), Resources: jsii.Strings(*b.Table.TableArn()),
	}))
	return role
}

// addGatewayResponses words the gateway's own refusals as `batchinfer api`
// does: the validation error with its taxonomy code.
func (b *BatchInfer) addGatewayResponses() {
	b.API.AddGatewayResponse(jsii.String("BadRequestBody"), &awsapigateway.GatewayResponseOptions{
		Type: awsapigateway.ResponseType_BAD_REQUEST_BODY(),
		Templates: &map[string]*string{"application/json": jsii.String(
			`{"message": "$util.escapeJavaScript($context.error.validationErrorString)", "code": "malformed_job"}`)},
	})
}

// addUsagePlan ties one API key to a plan of the configured throttle and
// quota. The key's value is generated; read it with `aws apigateway
// get-api-key --include-value`.
func (b *BatchInfer) addUsagePlan() {
	a := b.Config.API
	plan := b.API.AddUsagePlan(jsii.String("UsagePlan"), &awsapigateway.UsagePlanProps{
		Throttle: &awsapigateway.ThrottleSettings{RateLimit: jsii.Number(a.RateLimit), BurstLimit: jsii.Number(float64(a.BurstLimit))},
		Quota:    &awsapigateway.QuotaSettings{Limit: jsii.Number(float64(a.QuotaLimit)), Period: awsapigateway.Period(a.QuotaPeriod)},
	})
	plan.AddApiStage(&awsapigateway.UsagePlanPerApiStage{Stage: b.API.DeploymentStage()})
	plan.AddApiKey(b.API.AddApiKey(jsii.String("ApiKey"), nil), nil)
}

// jobModel is the request model, the embedded schema as is (L1: the L2
// JsonSchema type cannot hold it byte for byte).
func (b *BatchInfer) jobModel() awsapigateway.IModel {
	var schema map[string]any
	if err := json.Unmarshal(JobSchema, &schema); err != nil {
		panic(fmt.Sprintf("infra/stack/jobschema.json: %v", err)) // embedded at build time: a bug, not input
	}
	m := awsapigateway.NewCfnModel(b.Stack, jsii.String("JobModel"), &awsapigateway.CfnModelProps{
		RestApiId: b.API.RestApiId(), ContentType: jsii.String("application/json"),
		Name: jsii.String("Job"), Schema: schema,
	})
	return awsapigateway.Model_FromModelName(b.Stack, jsii.String("JobModelRef"), m.Ref())
}
