package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// dlqCmd lists, redrives or purges the dead-letter queue.
type dlqCmd struct {
	res resources
	max int
	to  string
}

func (d *dlqCmd) flags(fs *flag.FlagSet) {
	d.res.define(fs, "dlq-url", settings.DLQURL, "dead-letter queue URL", &d.res.opts.QueueURL)
	fs.IntVar(&d.max, "max", 100, "at most this many messages (0 with redrive: all)")
	fs.StringVar(&d.to, "to", "", "redrive: the queue to move messages to")
}

func (d *dlqCmd) run(ctx context.Context, c call) error {
	a, err := d.res.open(ctx)
	if err != nil {
		return err
	}
	dlq := a.Queue
	switch c.sub {
	case "list":
		msgs, err := dlq.Peek(ctx, d.max)
		enc := json.NewEncoder(c.stdout)
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
		if d.to == "" {
			return fmt.Errorf("%w: redrive needs --to QUEUE_URL", errUsage)
		}
		// The emulators lack StartMessageMoveTask; on AWS,
		// `aws sqs start-message-move-task --source-arn DLQ_ARN` does this server side.
		moved, err := dlq.Redrive(ctx, &store.Queue{Client: dlq.Client, URL: d.to}, d.max)
		fmt.Fprintf(c.stdout, "{\"moved\":%d}\n", moved)
		return err
	default:
		if err := dlq.Purge(ctx); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, `{"purged":true}`)
		return nil
	}
}
