package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// DemoOptions size the demo.
type DemoOptions struct {
	System  SystemOptions
	Images  int           // rendered text lines dropped into the inbox (default 20)
	Iris    int           // inline tabular jobs (default 50)
	Timeout time.Duration // wait for results at most this long (default 3m)
	Out     io.Writer     // the report
	Bar     io.Writer     // the progress display (stderr)
	Keep    bool          // leave the resources in place afterwards
}

// demoJob is one job the demo sent and what it expects back.
type demoJob struct {
	id, input, want string
	corrupt         bool
}

// RunDemo runs the whole system on one machine: it starts the worker under
// the runtime emulator fed by the ESM, drops text-line images and two
// corrupt files into the inbox (sending the notifications S3 would send),
// enqueues iris jobs, shows progress, then prints the results table and
// the dead letters, and tears everything down.
func RunDemo(ctx context.Context, cfg aws.Config, o DemoOptions) error {
	if o.Images <= 0 {
		o.Images = 20
	}
	if o.Iris <= 0 {
		o.Iris = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	spec := o.System.Resources
	fmt.Fprintf(o.Out, "starting: buckets %s, %s; queue %s with DLQ %s; table %s\n", spec.InputBucket, spec.ResultsBucket, spec.Queue, spec.DLQ, spec.Table)
	sys, err := StartSystem(ctx, cfg, o.System)
	if err != nil {
		return err
	}
	defer func() {
		_ = sys.Stop()
		if !o.Keep {
			if err := store.Teardown(context.Background(), cfg, spec); err != nil {
				fmt.Fprintf(o.Out, "teardown: %v\n", err)
			}
		}
	}()
	fmt.Fprintf(o.Out, "worker: the real binary under the Lambda runtime interface emulator at %s, fed by the event source mapping (batch %d, window %s)\n",
		sys.RIE.Addr(), sys.ESM.BatchSize, sys.ESM.Window)

	s3c, sqsc := store.NewS3Client(cfg), sqs.NewFromConfig(cfg)
	sent, err := sendDemoWork(ctx, s3c, sqsc, cfg.Region, sys.Prov.QueueURL, spec.InputBucket, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "sent %d jobs: %d images and 2 corrupt files to s3://%s/inbox/ (with their S3 notifications), %d inline iris jobs to the queue\n",
		len(sent), o.Images, spec.InputBucket, o.Iris)

	results := &store.Results{Client: dynamoClient(cfg), Table: spec.Table}
	recs, err := waitFinal(ctx, results, sent, o)
	if err != nil {
		return err
	}
	printResults(o.Out, sent, recs)
	return printDeadLetters(ctx, o.Out, sqsc, sys.Prov.DLQURL)
}

func sendDemoWork(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, region, queueURL, bucket string, o DemoOptions) ([]demoJob, error) {
	var sent []demoJob
	put := func(key string, data []byte) (string, error) {
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)})
		if err != nil {
			return "", fmt.Errorf("upload s3://%s/%s: %w", bucket, key, err)
		}
		body := jobs.S3Notification(region, jobs.S3Object{Bucket: bucket, Key: key, ETag: aws.ToString(out.ETag), Size: int64(len(data))})
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
			return "", fmt.Errorf("notify s3://%s/%s: %w", bucket, key, err)
		}
		return jobs.ObjectJobID(bucket, key, "", aws.ToString(out.ETag)), nil
	}
	for i, line := range textimg.Corpus(o.Images, time.Now().UnixNano()) {
		key := fmt.Sprintf("inbox/line %02d.png", i) // a space, as users name files
		id, err := put(key, textimg.PNG(line, textimg.Options{Font: textimg.Fonts[i%len(textimg.Fonts)]}))
		if err != nil {
			return nil, err
		}
		sent = append(sent, demoJob{id: id, input: "s3://" + bucket + "/" + key, want: line})
	}
	good := textimg.PNG("truncated", textimg.Options{})
	for _, c := range []struct {
		key  string
		data []byte
	}{
		{"inbox/corrupt-truncated.png", good[:len(good)/2]},
		{"inbox/corrupt-noise.jpg", noise(4096)},
	} {
		id, err := put(c.key, c.data)
		if err != nil {
			return nil, err
		}
		sent = append(sent, demoJob{id: id, input: "s3://" + bucket + "/" + c.key, corrupt: true})
	}
	iris := [][]float64{{5.1, 3.5, 1.4, 0.2}, {7.0, 3.2, 4.7, 1.4}, {6.3, 3.3, 6.0, 2.5}, {4.9, 3.0, 1.4, 0.2}, {6.4, 3.2, 4.5, 1.5}, {5.8, 2.7, 5.1, 1.9}}
	species := []string{"setosa", "versicolor", "virginica", "setosa", "versicolor", "virginica"}
	for i := range o.Iris {
		id := fmt.Sprintf("iris-%03d", i)
		body, _ := json.Marshal(map[string]any{"job_id": id, "model": "iris-rf",
			"input": map[string]any{"features": iris[i%len(iris)]}, "metadata": map[string]any{"row": i}})
		b := string(body)
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &b}); err != nil {
			return nil, fmt.Errorf("enqueue %s: %w", id, err)
		}
		sent = append(sent, demoJob{id: id, input: "inline", want: species[i%len(species)]})
	}
	return sent, nil
}

func noise(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(7)).Read(b)
	return b
}

// waitFinal polls the table until every job is SUCCEEDED or FAILED.
func waitFinal(ctx context.Context, results *store.Results, sent []demoJob, o DemoOptions) (map[string]*store.Record, error) {
	bar := progressbar.NewOptions(len(sent), progressbar.OptionSetWriter(o.Bar), progressbar.OptionSetDescription("jobs finished"),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Bar) }))
	recs := map[string]*store.Record{}
	deadline := time.Now().Add(o.Timeout)
	for len(recs) < len(sent) {
		for _, j := range sent {
			if recs[j.id] != nil {
				continue
			}
			rec, err := results.Get(ctx, j.id)
			if err != nil {
				return nil, err
			}
			if rec != nil && store.Status(rec.Status).Final() {
				recs[j.id] = rec
				_ = bar.Add(1)
			}
		}
		if len(recs) == len(sent) {
			break
		}
		if time.Now().After(deadline) {
			return recs, fmt.Errorf("%d of %d jobs not finished after %s", len(sent)-len(recs), len(sent), o.Timeout)
		}
		select {
		case <-ctx.Done():
			return recs, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return recs, nil
}

func printResults(w io.Writer, sent []demoJob, recs map[string]*store.Record) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tINPUT\tSTATUS\tRESULT\tEXPECTED\tTIMINGS (ms)")
	var ocrOK, ocrN, irisOK, irisN, failedOK int
	for _, j := range sent {
		r := recs[j.id]
		result := ""
		switch {
		case r.Error != nil:
			result = string(r.Error.Code)
		case r.Output["text"] != nil:
			result = fmt.Sprintf("%q (%.2f)", r.Output["text"], r.Output["confidence"])
		case r.Output["label"] != nil:
			result = fmt.Sprintf("%v", r.Output["label"])
		}
		want := j.want
		switch {
		case j.corrupt:
			want = "FAILED"
			if r.Status == "FAILED" {
				failedOK++
			}
		case strings.HasPrefix(j.id, "iris-"):
			irisN++
			if r.Output["label"] == j.want {
				irisOK++
			}
		default:
			ocrN++
			if r.Output["text"] == j.want {
				ocrOK++
			}
			want = fmt.Sprintf("%q", j.want)
		}
		id := j.id
		if len(id) > 20 {
			id = id[:20] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\tinfer %d, total %d\n", id, j.input, r.Status, result, want, r.Timings["infer"], r.Timings["total"])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nOCR exact matches %d/%d · iris labels right %d/%d · corrupt files FAILED %d/2\n", ocrOK, ocrN, irisOK, irisN, failedOK)
}

func printDeadLetters(ctx context.Context, w io.Writer, sqsc *sqs.Client, dlqURL string) error {
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlqURL, MaxNumberOfMessages: 10,
		MessageAttributeNames: []string{"All"}, VisibilityTimeout: 1})
	if err != nil {
		return fmt.Errorf("read the DLQ: %w", err)
	}
	fmt.Fprintf(w, "\ndead-letter queue: %d messages\n", len(out.Messages))
	for _, m := range out.Messages {
		a := func(k string) string {
			if v, ok := m.MessageAttributes[k]; ok {
				return aws.ToString(v.StringValue)
			}
			return ""
		}
		fmt.Fprintf(w, "  job %s  error_code=%s  %s\n", a("job_id"), a("error_code"), a("error_message"))
	}
	return nil
}
