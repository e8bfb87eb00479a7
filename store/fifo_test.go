package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestFIFOProvisionAndSend: FIFO queues without content-based
// deduplication take Send's messages (a group and a deduplication id
// each), so the same body sent twice, as a continuation is, arrives twice.
func TestFIFOProvisionAndSend(t *testing.T) {
	ctx := context.Background()
	spec := ProvisionSpec{InputBucket: name("in"), ResultsBucket: name("out"), Queue: name("q") + ".fifo",
		DLQ: name("dlq") + ".fifo", Table: name("t"), FIFO: true}
	prov, err := Provision(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	if _, err := Provision(ctx, cfg, spec); err != nil {
		t.Fatalf("provision again (idempotent): %v", err)
	}
	q := &Queue{Client: sqs.NewFromConfig(cfg), URL: prov.QueueURL}
	attrs, err := q.attributes(ctx, "FifoQueue", "ContentBasedDeduplication")
	if err != nil || attrs["FifoQueue"] != "true" || attrs["ContentBasedDeduplication"] == "true" {
		t.Fatalf("attributes %v, %v", attrs, err)
	}
	sent, err := q.Send(ctx, []OutMessage{{Body: "same"}, {Body: "same", GroupID: "g2"}})
	if err != nil || sent[0].Err != nil || sent[1].Err != nil {
		t.Fatalf("send: %+v %v", sent, err)
	}
	groups := map[string]bool{}
	for end := time.Now().Add(5 * time.Second); len(groups) < 2 && time.Now().Before(end); {
		got, err := q.Receive(ctx, 10, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			groups[m.Attributes["MessageGroupId"]] = aws.ToString(m.Body) == "same"
		}
	}
	if !groups["batchinfer"] || !groups["g2"] {
		t.Errorf("received groups %v, want batchinfer and g2, both with the body", groups)
	}
	t.Cleanup(func() { _ = Teardown(context.Background(), cfg, spec) })
}
