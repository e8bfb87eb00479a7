package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/client"
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

func printDeadLetterLines(w io.Writer, msgs []sqstypes.Message) error {
	enc := json.NewEncoder(w)
	for _, m := range msgs {
		line := map[string]any{
			"message_id": aws.ToString(m.MessageId), "body": aws.ToString(m.Body),
			"sent_timestamp": m.Attributes["SentTimestamp"], "receive_count": m.Attributes["ApproximateReceiveCount"],
		}
		for k, v := range m.MessageAttributes {
			line[k] = aws.ToString(v.StringValue)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

// printDeadLetterTable is the terminal view of the DLQ: one row a message
// (job, error code and words, age), then the count by code.
func printDeadLetterTable(w io.Writer, msgs []sqstypes.Message, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tERROR\tRECEIVES\tAGE")
	byCode := map[string]int{}
	for _, m := range msgs {
		attr := func(k string) string { return aws.ToString(m.MessageAttributes[k].StringValue) }
		code := orDash(attr("error_code"))
		byCode[code]++
		sent := "-"
		if ms, err := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64); err == nil {
			sent = client.Age(time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", clip(orDash(attr("job_id")), 40), clip(errorText(code, attr("error_message")), 90),
			orDash(m.Attributes["ApproximateReceiveCount"]), sent)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	codes := slices.Sorted(maps.Keys(byCode))
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s %d", c, byCode[c])
	}
	_, err := fmt.Fprintf(w, "%d messages%s\n", len(msgs), byCodeSuffix(parts))
	return err
}

func byCodeSuffix(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
