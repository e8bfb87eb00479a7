package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// watchCmd follows the completion events on a queue.
type watchCmd struct {
	res    resources
	asJSON bool
	count  int
	forDur time.Duration
}

func (w *watchCmd) flags(fs *flag.FlagSet) {
	w.res.define(fs, "queue-url", settings.WatchQueueURL, "queue subscribed to the completion topic, which `local up` prints", &w.res.opts.QueueURL)
	fs.BoolVar(&w.asJSON, "json", false, "print each event as a JSON line")
	fs.IntVar(&w.count, "count", 0, "stop after this many events (0: until interrupted)")
	fs.DurationVar(&w.forDur, "for", 0, "stop after this long (0: until interrupted)")
}

func (w *watchCmd) run(ctx context.Context, c call) error {
	a, err := w.res.open(ctx)
	if err != nil {
		return err
	}
	if w.forDur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.forDur)
		defer cancel()
	}
	q := a.Queue
	seen := map[string]bool{} // notification ids: delivery is at least once
	for n := 0; w.count == 0 || n < w.count; {
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
				fmt.Fprintf(c.stderr, "batchinfer watch: skipping message %s: %v\n", aws.ToString(m.MessageId), err)
			case !seen[ev.NotificationID]:
				seen[ev.NotificationID] = true
				n++
				if err := printEvent(c.stdout, ev, w.asJSON); err != nil {
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
		result = errorText(string(ev.Error.Code), ev.Error.Message)
	case ev.Output != nil:
		result = client.Glance(ev.Output)
	}
	_, err := fmt.Fprintf(w, "%s  %-9s  %s  %s  %s  %s\n", ev.FinishedAt.Local().Format("15:04:05"), ev.Status, ev.JobID,
		client.ShortInput(ev.Input, 32), model, clip(result, 100))
	return err
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
