package faultproxy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestAnswersStalledAndCut: a stalled answer arrives whole, late; a cut one
// fails the call after SQS acted (the message sent through it is there).
func TestAnswersStalledAndCut(t *testing.T) {
	ctx := context.Background()
	direct := newClients(nil, nil).sqs
	q, err := direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("answers-" + strings.ReplaceAll(t.Name(), "/", "-"))})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		o       Options
		wantErr bool
		minTime time.Duration
	}{
		{"stalled", Options{Stall: func(_, target string) time.Duration {
			if target == "AmazonSQS.SendMessage" {
				return 700 * time.Millisecond
			}
			return 0
		}}, false, 700 * time.Millisecond},
		{"cut", Options{Cut: func(_, target string) bool { return target == "AmazonSQS.SendMessage" }}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := StartT(t, emu.SQSURL, tt.o)
			c := newClients(p, nil).sqs
			start := time.Now()
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(tt.name)})
			if (err != nil) != tt.wantErr || time.Since(start) < tt.minTime {
				t.Fatalf("send through a %s answer: %v after %s", tt.name, err, time.Since(start))
			}
			got, err := direct.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, VisibilityTimeout: 60})
			if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != tt.name {
				t.Fatalf("the queue after a %s answer: %v, %v; want the message sent", tt.name, got, err)
			}
			c2 := p.Counts()[SQS]
			if c2.Stalled+c2.Cut != 1 {
				t.Errorf("counts %+v; want one %s answer", c2, tt.name)
			}
		})
	}
}
