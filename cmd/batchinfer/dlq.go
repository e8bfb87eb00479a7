package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/store"
)

func init() {
	register("dlq", "list, redrive or purge the dead-letter queue (list|redrive|purge)", runDLQ)
}

func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive" && args[0] != "purge") {
		fmt.Fprintln(stderr, "usage: batchinfer dlq list [--dlq-url URL] [--max N]\n       batchinfer dlq redrive --to QUEUE_URL [--dlq-url URL] [--max N]\n       batchinfer dlq purge [--dlq-url URL]")
		return fmt.Errorf("%w: dlq needs list, redrive or purge", errUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags("dlq "+sub, stderr, "[flags]")
	dlqURL := fs.String("dlq-url", os.Getenv("BATCHINFER_DLQ_URL"), "dead-letter queue URL (default $BATCHINFER_DLQ_URL)")
	maxN := fs.Int("max", 100, "at most this many messages (0 with redrive: all)")
	to := fs.String("to", "", "redrive: the queue to move messages to")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dlqURL == "" {
		return fmt.Errorf("%w: --dlq-url or BATCHINFER_DLQ_URL is required", errUsage)
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	client := sqs.NewFromConfig(awsCfg)
	dlq := &store.Queue{Client: client, URL: *dlqURL}
	switch sub {
	case "list":
		msgs, err := dlq.Peek(ctx, *maxN)
		enc := json.NewEncoder(stdout)
		for _, m := range msgs {
			line := map[string]any{
				"message_id": aws.ToString(m.MessageId), "body": aws.ToString(m.Body),
				"sent_timestamp": m.Attributes["SentTimestamp"], "receive_count": m.Attributes["ApproximateReceiveCount"],
			}
			for k, v := range m.MessageAttributes {
				line[k] = aws.ToString(v.StringValue)
			}
			if eerr := enc.Encode(line); eerr != nil {
				return eerr
			}
		}
		return err
	case "redrive":
		if *to == "" {
			return fmt.Errorf("%w: redrive needs --to QUEUE_URL", errUsage)
		}
		// The emulators lack StartMessageMoveTask; on AWS,
		// `aws sqs start-message-move-task --source-arn DLQ_ARN` does this server side.
		moved, err := dlq.Redrive(ctx, &store.Queue{Client: client, URL: *to}, *maxN)
		fmt.Fprintf(stdout, "{\"moved\":%d}\n", moved)
		return err
	default:
		if err := dlq.Purge(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, `{"purged":true}`)
		return nil
	}
}
