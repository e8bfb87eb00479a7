package store

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestDeadLettersSendCarriesAttributes(t *testing.T) {
	ctx := context.Background()
	client := sqs.NewFromConfig(cfg)
	queue := newQueue(t)
	d := &DeadLetters{Client: client, QueueURL: queue}

	body := `{"job_id":"j1","input":{"s3":"s3://in/a.png"}}`
	long := strings.Repeat("é", 2000) + "\x00\x07tail" // 4000+ bytes, control characters
	if err := d.Send(ctx, DeadLetter{Body: body, Code: "undecodable_image", Message: long, JobID: "j1", SourceMessageID: "m-1"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := d.Send(ctx, DeadLetter{Code: "malformed_job", Message: "not JSON", SourceMessageID: "m-2"}); err != nil {
		t.Fatalf("Send with empty body and job id: %v", err)
	}

	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 2 {
		t.Fatalf("%d messages on the DLQ, want 2", len(out.Messages))
	}
	byID := map[string]map[string]string{}
	bodies := map[string]string{}
	for _, m := range out.Messages {
		attrs := map[string]string{}
		for k, v := range m.MessageAttributes {
			attrs[k] = aws.ToString(v.StringValue)
		}
		byID[attrs["source_message_id"]] = attrs
		bodies[attrs["source_message_id"]] = aws.ToString(m.Body)
	}
	first := byID["m-1"]
	if bodies["m-1"] != body || first["error_code"] != "undecodable_image" || first["job_id"] != "j1" {
		t.Errorf("first message: body %q attrs %v", bodies["m-1"], first)
	}
	if msg := first["error_message"]; len(msg) > maxErrorMessageBytes || !utf8.ValidString(msg) ||
		!strings.HasPrefix(msg, "éé") || !strings.HasSuffix(msg, "…") {
		t.Errorf("error_message not truncated cleanly: %d bytes, %q…", len(msg), msg[:min(len(msg), 20)])
	}
	second := byID["m-2"]
	if _, has := second["job_id"]; has || second["error_code"] != "malformed_job" || !strings.Contains(bodies["m-2"], `"m-2"`) {
		t.Errorf("second message: body %q attrs %v", bodies["m-2"], second)
	}
}

func TestSQSSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
		{"nul\x00bel\x07", "nulbel"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"\uFFFE\uFFFF", ""},
	}
	for _, tc := range tests {
		if got := sqsSafe(tc.in); got != tc.want {
			t.Errorf("sqsSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
