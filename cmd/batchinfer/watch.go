package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

func init() {
	register("watch", "follow the completion events on a queue subscribed to the topic: a line per finished job", runWatch)
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("watch", stderr, "[--queue-url URL] [--json] [--count N] [--for 10m]")
	queueURL := fs.String("queue-url", os.Getenv("BATCHINFER_WATCH_QUEUE_URL"), "queue subscribed to the completion topic (default $BATCHINFER_WATCH_QUEUE_URL; `local up` prints it)")
	asJSON := fs.Bool("json", false, "print each event as a JSON line")
	count := fs.Int("count", 0, "stop after this many events (0: until interrupted)")
	forDur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *queueURL == "" {
		return fmt.Errorf("%w: --queue-url or BATCHINFER_WATCH_QUEUE_URL is required", errUsage)
	}
	if *forDur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *forDur)
		defer cancel()
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	q := &store.Queue{Client: sqs.NewFromConfig(awsCfg), URL: *queueURL}
	seen := map[string]bool{} // notification ids: delivery is at least once
	for n := 0; *count == 0 || n < *count; {
		msgs, err := q.Receive(ctx, store.MaxSQSBatch, 20*time.Second, 0)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			ev, err := jobs.DecodeCompletion(aws.ToString(m.Body))
			switch {
			case err != nil:
				fmt.Fprintf(stderr, "batchinfer watch: skipping message %s: %v\n", aws.ToString(m.MessageId), err)
			case !seen[ev.NotificationID]:
				seen[ev.NotificationID] = true
				n++
				if err := printEvent(stdout, ev, *asJSON); err != nil {
					return err
				}
			}
		}
		if err := q.Delete(ctx, msgs); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// printEvent writes one finished job: time, status, job, model@version,
// then the output (or where it is) or the error.
func printEvent(w io.Writer, ev jobs.Completion, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(ev)
	}
	model := ev.Model
	if ev.ModelVersion != "" {
		model += "@" + ev.ModelVersion
	}
	result := ev.OutputURI
	switch {
	case ev.Error != nil:
		result = string(ev.Error.Code) + ": " + ev.Error.Message
	case result == "" && ev.Output != nil:
		b, _ := json.Marshal(ev.Output) // decoded from JSON: always encodes
		result = string(b)
	}
	_, err := fmt.Fprintf(w, "%s  %-9s  %s  %s  %s\n", ev.FinishedAt.Local().Format("15:04:05"), ev.Status, ev.JobID, model, clip(result, 120))
	return err
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
