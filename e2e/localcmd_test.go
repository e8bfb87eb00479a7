package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// `local up` keeps --visibility-timeout (it used to be overwritten by
// 6 × --timeout) and creates the completion topic with its watched queue;
// `local down` removes them.
func TestLocalUpDown(t *testing.T) {
	n := resourceName(t)
	flags := []string{"--inbox", "in-" + n, "--results-bucket", "out-" + n, "--queue", "q-" + n, "--dlq", "dlq-" + n,
		"--table", "t-" + n, "--topic", "topic-" + n, "--watch-queue", "w-" + n}
	out, errOut, err := runBinary(t, nil, "", append([]string{"local", "up", "--timeout", "5s", "--visibility-timeout", "45s"}, flags...)...)
	if err != nil {
		t.Fatalf("local up: %v\n%s", err, errOut)
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(out), &vars); err != nil {
		t.Fatalf("local up printed %q", out)
	}
	if vars["BATCHINFER_NOTIFY_TOPIC_ARN"] == "" || vars["BATCHINFER_WATCH_QUEUE_URL"] == "" {
		t.Errorf("local up: %v", vars)
	}
	c := sqs.NewFromConfig(emu.Config(context.Background()))
	attrs, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(vars["BATCHINFER_QUEUE_URL"]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
	if err != nil || attrs.Attributes["VisibilityTimeout"] != "45" {
		t.Errorf("jobs queue visibility %v, %v; want the flag's 45", attrs, err)
	}
	if _, errOut, err := runBinary(t, nil, "", append([]string{"local", "down"}, flags...)...); err != nil {
		t.Fatalf("local down: %v\n%s", err, errOut)
	}
	if _, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("w-" + n)}); err == nil {
		t.Error("local down left the watched queue")
	}
}
