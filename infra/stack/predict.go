package stack

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// PredictConfig sizes the predict function (context keys in quotes).
//
// Predict is its own function built from the worker's artifact (the same
// image or zip, the same `lambda` command: the handler tells API Gateway
// proxy events from SQS and S3 events), not the worker function itself,
// because what it needs differs: a timeout just above the request
// deadline instead of the worker's minutes, concurrency of its own (a
// queue backlog must not starve a caller waiting on a page load, nor a
// burst of calls take the batch's reserved concurrency), and provisioned
// concurrency, the cold-start lever, paid for the real-time path alone.
type PredictConfig struct {
	MemoryMiB              int // "predictMemoryMiB": default 1769 (one vCPU)
	TimeoutSeconds         int // "predictTimeoutSeconds": default 15, above BATCHINFER_PREDICT_TIMEOUT (10s), below API Gateway's 29s
	ProvisionedConcurrency int // "predictProvisionedConcurrency": warm instances on the "live" alias; 0 = none
	LatencyP99AlarmMs      int // "predictLatencyP99AlarmMs": default 1000
}

func (p PredictConfig) defaults() PredictConfig {
	for _, d := range []struct {
		v   *int
		def int
	}{{&p.MemoryMiB, 1769}, {&p.TimeoutSeconds, 15}, {&p.LatencyP99AlarmMs, 1000}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	return p
}

// predictFromContext reads PredictConfig with ConfigFromContext's getter.
func predictFromContext(get func(string) (string, bool)) (PredictConfig, error) {
	var p PredictConfig
	for key, dst := range map[string]*int{"predictMemoryMiB": &p.MemoryMiB, "predictTimeoutSeconds": &p.TimeoutSeconds,
		"predictProvisionedConcurrency": &p.ProvisionedConcurrency, "predictLatencyP99AlarmMs": &p.LatencyP99AlarmMs} {
		if v, ok := get(key); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return p, fmt.Errorf("context %q: %q is not a non-negative integer", key, v)
			}
			*dst = n
		}
	}
	return p, nil
}

// Alarm keys of the predict route.
const (
	AlarmPredictLatencyP99 = "PredictLatencyP99"
	AlarmPredict5xx        = "Predict5xx"
)

// addPredict serves POST /v1/predict and POST /v2/models/{model}/infer
// through a Lambda proxy integration (AWS_PROXY) with the predict
// function, key and usage plan as the other routes, with its alarms.
func (b *BatchInfer) addPredict() {
	p := b.Config.Predict
	fn := b.predictFunction()
	target := awslambda.IFunction(fn)
	if p.ProvisionedConcurrency > 0 {
		target = awslambda.NewAlias(b.Stack, jsii.String("PredictLive"), &awslambda.AliasProps{
			AliasName: jsii.String("live"), Version: fn.CurrentVersion(),
			ProvisionedConcurrentExecutions: jsii.Number(float64(p.ProvisionedConcurrency)),
		})
	}
	integ := awsapigateway.NewLambdaIntegration(target, &awsapigateway.LambdaIntegrationOptions{Proxy: jsii.Bool(true)})
	opts := &awsapigateway.MethodOptions{ApiKeyRequired: jsii.Bool(true)}
	v1 := b.API.Root().GetResource(jsii.String("v1"))
	v1.AddResource(jsii.String("predict"), nil).AddMethod(jsii.String("POST"), integ, opts)
	b.API.Root().AddResource(jsii.String("v2"), nil).AddResource(jsii.String("models"), nil).
		AddResource(jsii.String("{model}"), nil).AddResource(jsii.String("infer"), nil).AddMethod(jsii.String("POST"), integ, opts)
	// The models' state (state.go), read only: predict writes nothing.
	if st := b.featureTablesStatement(); st != nil {
		fn.AddToRolePolicy(st)
	}
	fn.AddToRolePolicy(b.reuseEntriesStatement("ReadReuseEntries", "dynamodb:BatchGetItem", "dynamodb:GetItem"))
	b.addPredictAlarms()
}

// predictFunction is the worker's artifact and environment with the
// predict sizing, and no event source.
func (b *BatchInfer) predictFunction() awslambda.Function {
	c, p := b.Config, b.Config.Predict
	env := b.Environment()
	env["BATCHINFER_PREDICT_TIMEOUT"] = jsii.String(strconv.Itoa(max(p.TimeoutSeconds-2, 1)) + "s")
	props := &awslambda.FunctionProps{
		Description:  jsii.String("batchinfer predict: POST /v1/predict and /v2/models/{model}/infer (API Gateway proxy), the worker's artifact"),
		Architecture: b.architecture(),
		MemorySize:   jsii.Number(float64(p.MemoryMiB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(p.TimeoutSeconds))),
		Environment:  &env,
		LogGroup: awslogs.NewLogGroup(b.Stack, jsii.String("PredictLogs"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}),
		LoggingFormat: awslambda.LoggingFormat_JSON,
	}
	if c.Variant == VariantImage {
		props.Code, props.Runtime, props.Handler = b.workerImage(), awslambda.Runtime_FROM_IMAGE(), awslambda.Handler_FROM_IMAGE()
	} else {
		props.Code = awslambda.Code_FromAsset(jsii.String(c.BundleDir+"/"+BundleFunction), nil)
		props.Runtime, props.Handler = awslambda.Runtime_PROVIDED_AL2023(), jsii.String("bootstrap")
		layers := b.workerLayers()
		props.Layers = &layers
	}
	fn := awslambda.NewFunction(b.Stack, jsii.String("Predict"), props)
	// Reads only: S3 inputs from the inbox, the models' own S3 prefixes
	// come through the worker's grants below.
	b.Inbox.GrantRead(fn, nil)
	b.Results.GrantRead(fn, nil)
	return fn
}

// addPredictAlarms alarms on the predict route's p99 latency and its 5xx
// answers (API Gateway's per-method metrics: the stage has them on).
func (b *BatchInfer) addPredictAlarms() {
	p := b.Config.Predict
	five := awscdk.Duration_Minutes(jsii.Number(5))
	dims := map[string]*string{"ApiName": b.API.RestApiName(), "Stage": jsii.String("prod"), "Resource": jsii.String("/v1/predict"), "Method": jsii.String("POST")}
	metric := func(name, stat string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ApiGateway"), MetricName: jsii.String(name),
			DimensionsMap: &dims, Period: five, Statistic: jsii.String(stat)})
	}
	for _, a := range []struct {
		key, desc string
		m         awscloudwatch.Metric
		threshold float64
	}{
		{AlarmPredictLatencyP99, "POST /v1/predict p99 latency is over the threshold (cold starts: consider predictProvisionedConcurrency).", metric("Latency", "p99"), float64(p.LatencyP99AlarmMs)},
		{AlarmPredict5xx, "POST /v1/predict answered 5xx (function errors, timeouts, throttles).", metric("5XXError", "Sum"), 0},
	} {
		b.Alarms[a.key] = awscloudwatch.NewAlarm(b.Stack, jsii.String(a.key+"Alarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String(a.desc), Metric: a.m, Threshold: jsii.Number(a.threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
}

// workerLayers are the zip variant's layers the worker already has (one
// set of layer versions for both functions).
func (b *BatchInfer) workerLayers() []awslambda.ILayerVersion {
	var out []awslambda.ILayerVersion
	for _, id := range []string{"OnnxRuntime", "Models"} {
		if l, ok := b.Stack.Node().TryFindChild(jsii.String(id)).(awslambda.ILayerVersion); ok && l != nil {
			out = append(out, l)
		}
	}
	return out
}
