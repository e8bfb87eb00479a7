package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// dlqCmd lists, redrives or purges the dead-letter queue.
type dlqCmd struct {
	res    resources
	max    int
	to     string
	asJSON bool
}

func (d *dlqCmd) flags(fs *flag.FlagSet) {
	d.res.define(fs, "dlq-url", settings.DLQURL, "dead-letter queue URL", &d.res.opts.QueueURL)
	fs.IntVar(&d.max, "max", 100, "at most this many messages (0 with redrive: all)")
	fs.StringVar(&d.to, "to", "", "redrive: the queue to move messages to")
	fs.BoolVar(&d.asJSON, "json", false, "list: JSON lines even on a terminal (the default when piped)")
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
		if d.asJSON || !isTerminal(c.stdout) {
			return errors.Join(err, printDeadLetterLines(c.stdout, msgs))
		}
		return errors.Join(err, printDeadLetterTable(c.stdout, msgs, time.Now()))
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
