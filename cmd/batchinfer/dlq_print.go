package main

import (
	"encoding/json"
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
)

// How `dlq list` prints: a table on a terminal, JSON lines otherwise.

// printDeadLetterLines is the piped view: a JSON line a message, its
// attributes flattened beside the SQS fields.
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
