package stack

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestFIFOStack synthesises the stack with context "fifo": both queues
// FIFO, content-based deduplication off, the event source without a
// batching window, the API sending with a group and a deduplication id,
// and no inbox notification (S3 cannot notify a FIFO queue).
func TestFIFOStack(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tempDir(t)), PostCliContext: isolated(t, map[string]any{
		"fifo": "true", "variant": "zip", "repoDir": filepath.Join("..", ".."), "bundleDir": fakeBundle(t, "ppocr-rec", "ppocr-cls", "iris-rf"),
	})})
	cfg, err := ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(app, "BatchInferFifo", cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tmpl := assertions.Template_FromStack(b.Stack, nil)
	// The jobs queue and its DLQ are FIFO without content deduplication.
	s := &synthed{b: b}
	queues := tmpl.FindResources(jsii.String("AWS::SQS::Queue"), map[string]any{"Properties": map[string]any{
		"FifoQueue": true, "ContentBasedDeduplication": false,
	}})
	for _, q := range []string{s.idOf(b.Jobs), s.idOf(b.DeadLetters)} {
		if _, ok := (*queues)[q]; !ok {
			t.Errorf("queue %s is not FIFO without content-based deduplication", q)
		}
	}
	check(t, tmpl.HasResourceProperties, jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"BatchSize": 10, "FunctionResponseTypes": []string{"ReportBatchItemFailures"},
		"MaximumBatchingWindowInSeconds": assertions.Match_Absent(),
	})
	check(t, tmpl.ResourceCountIs, jsii.String("Custom::S3BucketNotifications"), jsii.Number(0))
	// The scheduler needs content-based deduplication on a FIFO target.
	check(t, tmpl.ResourceCountIs, jsii.String("AWS::Scheduler::Schedule"), jsii.Number(0))
	check(t, tmpl.HasResourceProperties, jsii.String("AWS::ApiGateway::Method"), map[string]any{
		"Integration": assertions.Match_ObjectLike(&map[string]any{"RequestTemplates": map[string]any{
			"application/json": assertions.Match_StringLikeRegexp(jsii.String("MessageGroupId=api&SendMessageBatchRequestEntry.1.MessageDeduplicationId=")),
		}}),
	})
}

func TestFIFOConfig(t *testing.T) {
	tests := []struct {
		name    string
		c       Config
		wantErr string
	}{
		{"defaults", Config{FIFO: true}, ""},
		{"window", Config{FIFO: true, MaxBatchingWindowSeconds: 5}, "maxBatchingWindowSeconds"},
		{"batch", Config{FIFO: true, BatchSize: 11}, "batchSize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c.Defaults()
			err := c.Validate()
			switch {
			case tc.wantErr == "" && (err != nil || c.BatchSize != 10 || c.MaxBatchingWindowSeconds != 0):
				t.Fatalf("%+v: %v", c, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %s", err, tc.wantErr)
			}
		})
	}
}
