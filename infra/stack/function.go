package stack

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Paths inside Config.BundleDir that the zip variant deploys.
const (
	BundleFunction = "function"     // holds bootstrap
	BundleORTLayer = "ort-layer"    // holds lib/libonnxruntime.so.1
	BundleModels   = "models-layer" // holds models/<name>/manifest.json ...
)

// Environment is the function's environment: DESIGN.md's variables, the
// jobs queue's URL (where the schedule's reprocess request requeues jobs),
// the routes and the models' state (state.go). The poller's container and
// the predict function start from it, so every compute that runs models
// routes and reads state alike.
func (b *BatchInfer) Environment() map[string]*string {
	c := b.Config
	env := map[string]*string{
		"ONNXRUNTIME_LIB":            jsii.String(ORTLibPath),
		"BATCHINFER_MODELS":          jsii.String(c.ModelsEnv()),
		"BATCHINFER_RESULTS_TABLE":   b.Table.TableName(),
		"BATCHINFER_RESULTS_BUCKET":  b.Results.BucketName(),
		"BATCHINFER_DLQ_URL":         b.DeadLetters.QueueUrl(),
		"BATCHINFER_QUEUE_URL":       b.Jobs.QueueUrl(),
		"BATCHINFER_INPUT_BUCKETS":   b.Inbox.BucketName(),
		"BATCHINFER_MAX_INPUT_BYTES": jsii.String(strconv.FormatInt(c.MaxInputBytes, 10)),
		"BATCHINFER_MAX_RECEIVES":    jsii.String(strconv.Itoa(c.MaxReceiveCount)),
	}
	if c.Routes != "" {
		env["BATCHINFER_ROUTES"] = jsii.String(c.Routes)
	}
	maps.Copy(env, c.State.environment())
	return env
}

func (b *BatchInfer) architecture() awslambda.Architecture {
	if b.Config.Architecture == ArchARM64 {
		return awslambda.Architecture_ARM_64()
	}
	return awslambda.Architecture_X86_64()
}

// addFunction creates the worker in the configured variant and subscribes
// it to the jobs queue. Both variants are one awslambda.Function with the
// same props; only code, runtime, handler and layers differ (CDK's
// DockerImageFunction is this with the FROM_IMAGE runtime and handler).
func (b *BatchInfer) addFunction() {
	c := b.Config
	env := b.Environment()
	var reserved *float64
	if c.ReservedConcurrency > 0 {
		reserved = jsii.Number(float64(c.ReservedConcurrency))
	}
	props := &awslambda.FunctionProps{
		Description:                  jsii.String("batchinfer worker: SQS/S3 jobs → micro-batched ONNX Runtime → DynamoDB/S3"),
		Architecture:                 b.architecture(),
		MemorySize:                   jsii.Number(float64(c.MemoryMiB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(float64(c.TimeoutSeconds))),
		ReservedConcurrentExecutions: reserved,
		Environment:                  &env,
		LogGroup: awslogs.NewLogGroup(b.Stack, jsii.String("WorkerLogs"), &awslogs.LogGroupProps{
			Retention:     awslogs.RetentionDays_ONE_MONTH,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}),
		LoggingFormat: awslambda.LoggingFormat_JSON,
		// Retries of failed items are SQS's job (redrive), not Lambda's.
		RetryAttempts: jsii.Number(0),
	}
	switch c.Variant {
	case VariantImage:
		props.Code, props.Runtime, props.Handler = b.workerImage(), awslambda.Runtime_FROM_IMAGE(), awslambda.Handler_FROM_IMAGE()
	case VariantZip:
		props.Code = awslambda.Code_FromAsset(jsii.String(filepath.Join(c.BundleDir, BundleFunction)), nil)
		props.Runtime, props.Handler = awslambda.Runtime_PROVIDED_AL2023(), jsii.String("bootstrap")
		layers := b.zipLayers()
		props.Layers = &layers
	}
	b.Function = awslambda.NewFunction(b.Stack, jsii.String("Worker"), props)
	if !c.Poller.Enabled() { // else the ECS poller consumes the queue (poller.go)
		b.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(b.Jobs, b.eventSourceProps()))
	}
}

// eventSourceProps is the SQS event source: batching, partial batch
// responses, and provisioned mode with its metrics when configured.
func (b *BatchInfer) eventSourceProps() *awslambdaeventsources.SqsEventSourceProps {
	c := b.Config
	esm := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(c.BatchSize)),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if c.MaxConcurrency > 0 {
		esm.MaxConcurrency = jsii.Number(float64(c.MaxConcurrency))
	}
	if !c.FIFO { // a FIFO queue's event source takes no batching window
		esm.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(float64(c.MaxBatchingWindowSeconds)))
	}
	if c.Provisioned() {
		esm.ProvisionedPollerConfig = &awslambda.ProvisionedPollerConfig{
			MinimumPollers: jsii.Number(float64(c.ESMMinPollers)),
			MaximumPollers: jsii.Number(float64(c.ESMMaxPollers)),
		}
	}
	if c.ESMMetrics == "on" {
		esm.MetricsConfig = &awslambda.MetricsConfig{Metrics: &[]awslambda.MetricType{awslambda.MetricType_EVENT_COUNT}}
	}
	return esm
}

// workerImage is the container image built from the repository's
// Dockerfile for the function's architecture.
func (b *BatchInfer) workerImage() awslambda.Code {
	return awslambda.Code_FromAssetImage(jsii.String(b.Config.RepoDir), b.imageProps(nil))
}

// imageProps are the image asset's build props, shared by every function
// of the image (so they share one image); cmd overrides its command.
func (b *BatchInfer) imageProps(cmd []string) *awslambda.AssetImageCodeProps {
	c := b.Config
	platform := awsecrassets.Platform_LINUX_AMD64()
	if c.Architecture == ArchARM64 {
		platform = awsecrassets.Platform_LINUX_ARM64()
	}
	props := &awslambda.AssetImageCodeProps{
		File:      jsii.String("Dockerfile"),
		Platform:  platform,
		BuildArgs: &map[string]*string{"MODELS": jsii.String(strings.Join(c.BundledModels(), " "))},
		// .dockerignore in the repository keeps the context to the Go
		// sources, the pinned ORT library and the models.
		IgnoreMode: awscdk.IgnoreMode_DOCKER,
	}
	if cmd != nil {
		props.Cmd = jsii.Strings(cmd...)
	}
	return props
}

// zipLayers are the zip variant's layers: ONNX Runtime, and the bundled
// models when there are any.
func (b *BatchInfer) zipLayers() []awslambda.ILayerVersion {
	c := b.Config
	layer := func(id, dir, desc string) awslambda.ILayerVersion {
		return awslambda.NewLayerVersion(b.Stack, jsii.String(id), &awslambda.LayerVersionProps{
			Code:                    awslambda.Code_FromAsset(jsii.String(filepath.Join(c.BundleDir, dir)), nil),
			CompatibleArchitectures: &[]awslambda.Architecture{b.architecture()},
			CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
			Description:             jsii.String(desc),
		})
	}
	layers := []awslambda.ILayerVersion{layer("OnnxRuntime", BundleORTLayer, "ONNX Runtime shared library at "+ORTLibPath)}
	if len(c.BundledModels()) > 0 {
		layers = append(layers, layer("Models", BundleModels, "batchinfer models under "+ModelsRoot))
	}
	return layers
}

// checkAssets makes sure the function's assets exist before synthesis,
// naming the missing file and the task that writes it (jsii would panic
// with a bare path instead).
func checkAssets(c Config) error {
	if c.Variant == VariantImage {
		p := filepath.Join(c.RepoDir, "Dockerfile")
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("image variant: %s is missing (set context repoDir to the repository root): %w", p, err)
		}
		return nil
	}
	need := []string{
		filepath.Join(c.BundleDir, BundleFunction, "bootstrap"),
		filepath.Join(c.BundleDir, BundleORTLayer, "lib", filepath.Base(ORTLibPath)),
	}
	for _, m := range c.BundledModels() {
		need = append(need, filepath.Join(c.BundleDir, BundleModels, "models", m, "manifest.json"))
	}
	for _, p := range need {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("zip variant: %s is missing (run `go tool task bundle ARCH=...` or set context bundleDir): %w", p, err)
		}
	}
	return nil
}
