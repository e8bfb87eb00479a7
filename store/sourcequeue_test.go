package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

func TestSourceQueueURL(t *testing.T) {
	aws := sqs.New(sqs.Options{Region: "eu-west-1"}) // no endpoint override: AWS's own hosts
	tests := []struct {
		name, configured, arn, want, wantErr string
	}{
		{"configured queue wins", "https://example.test/123/jobs", "arn:aws:sqs:eu-west-1:123:jobs", "https://example.test/123/jobs", ""},
		{"other queue derived", "https://example.test/123/jobs", "arn:aws:sqs:us-west-2:456:other.fifo", "https://sqs.us-west-2.amazonaws.com/456/other.fifo", ""},
		{"nothing configured", "", "arn:aws:sqs:eu-west-1:123:jobs", "https://sqs.eu-west-1.amazonaws.com/123/jobs", ""},
		{"not an ARN", "", "jobs", "", "not an SQS queue ARN"},
		{"not SQS", "", "arn:aws:sns:eu-west-1:123:topic", "", "not an SQS queue ARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &SourceQueues{Client: aws, QueueURL: tc.configured}
			got, err := s.URL(context.Background(), tc.arn)
			if testenv.WantError(t, err, tc.wantErr) {
				return
			}
			if got != tc.want {
				t.Fatalf("URL = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSourceQueueDerivedURLReachesTheEmulator: with AWS_ENDPOINT_URL_SQS
// set, the URL derived from an ARN alone must address the real queue.
func TestSourceQueueDerivedURLReachesTheEmulator(t *testing.T) {
	q := newTestQueue(t)
	ctx := context.Background()
	arn, err := q.ARN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sendN(t, q, 1, nil)
	got, err := q.Receive(ctx, 1, time.Second, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	s := &SourceQueues{Client: q.Client} // no configured URL: derived
	u, _ := s.URL(ctx, arn)
	t.Logf("ARN %s → %s (the emulator says %s)", arn, u, q.URL)
	if err := s.ChangeVisibility(ctx, arn, []VisibilityChange{{ReceiptHandle: aws.ToString(got[0].ReceiptHandle), MessageID: "m"}}); err != nil {
		t.Fatalf("change visibility through the derived URL: %v", err)
	}
	// Visible again at once (it was hidden for a minute).
	if again, err := q.Receive(ctx, 1, 2*time.Second, time.Minute); err != nil || len(again) != 1 {
		t.Fatalf("the message did not come back: %v %v", again, err)
	}
}
