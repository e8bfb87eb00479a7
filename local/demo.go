package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/metrics"
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
	// Features scores one iris-feat job whose petals come from the
	// example feature table (the function must serve iris-feat).
	Features bool
	// Samples is the folder of rendered text lines (PNG files and the
	// samples' _texts.json) the images come from; default
	// .cache/samples/ppocr-rec, which setup writes.
	Samples string
}

// demoJob is one job the demo sent and what it expects back.
type demoJob struct {
	id, input, want string
	corrupt         bool
	records         int // a record file's rows
}

// demoRecords is the size of the demo's record file.
const demoRecords = 500

// RunDemo runs the whole system on one machine: it starts the worker under
// the runtime emulator fed by the ESM, drops text-line images and two
// corrupt files into the inbox (sending the notifications S3 would send),
// enqueues iris and text jobs, shows progress, then prints the results table and
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
	if o.Samples == "" {
		o.Samples = filepath.Join(".cache", "samples", "ppocr-rec")
	}
	lines, err := readLines(o.Samples, o.Images)
	if err != nil {
		return err
	}
	// The function's EMF documents, for the closing summary.
	var fnOut lockedBuffer
	if o.System.FunctionOutput != nil {
		o.System.FunctionOutput = io.MultiWriter(o.System.FunctionOutput, &fnOut)
	} else {
		o.System.FunctionOutput = &fnOut
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
	if o.Features {
		if _, err := ProvisionFeatures(ctx, cfg); err != nil {
			return err
		}
	}
	sent, err := sendDemoWork(ctx, s3c, sqsc, cfg.Region, sys.Prov.QueueURL, spec.InputBucket, lines, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "sent %d jobs: %d images and 2 corrupt files to s3://%s/inbox/ (with their S3 notifications), %d inline iris jobs, %d inline texts for %s and a %d-row CSV record file to the queue\n",
		len(sent), len(lines), spec.InputBucket, o.Iris, len(demoReviews), DemoTextModel, demoRecords)

	results := &store.Results{Client: dynamoClient(cfg), Table: spec.Table}
	queue := &store.Queue{Client: sqsc, URL: sys.Prov.QueueURL}
	recs, err := waitFinal(ctx, results, queue, sent, o)
	if err != nil {
		return err
	}
	printResults(o.Out, sent, recs)
	if err := printDeadLetters(ctx, o.Out, sqsc, sys.Prov.DLQURL); err != nil {
		return err
	}
	return printMetrics(o.Out, fnOut.String())
}

// printMetrics ends the demo with what `batchinfer stats` says of the
// function's own EMF documents for this run.
func printMetrics(w io.Writer, functionOutput string) error {
	docs, err := metrics.Parse(strings.NewReader(functionOutput))
	if err != nil {
		return fmt.Errorf("the function's metrics: %w", err)
	}
	fmt.Fprintf(w, "\nthe worker's own metrics (%d EMF documents; `batchinfer stats` prints the same from any log):\n", len(docs))
	return metrics.WriteTable(w, metrics.Summarize(docs, metrics.DefaultNamespace))
}

func sendDemoWork(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, region, queueURL, bucket string, lines []demoLine, o DemoOptions) ([]demoJob, error) {
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
	for i, l := range lines {
		key := fmt.Sprintf("inbox/line %02d.png", i) // a space, as users name files
		id, err := put(key, l.png)
		if err != nil {
			return nil, err
		}
		sent = append(sent, demoJob{id: id, input: "s3://" + bucket + "/" + key, want: l.text})
	}
	good := lines[0].png
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
	iris, err := sendIris(ctx, sqsc, queueURL, o.Iris)
	if err != nil {
		return nil, err
	}
	reviews, err := sendReviews(ctx, sqsc, queueURL)
	if err != nil {
		return nil, err
	}
	iris = append(iris, reviews...)
	if o.Features {
		feat, err := sendFeatureJob(ctx, sqsc, queueURL)
		if err != nil {
			return nil, err
		}
		iris = append(iris, feat)
	}
	file, err := sendRecordFile(ctx, s3c, sqsc, queueURL, bucket)
	if err != nil {
		return nil, err
	}
	return append(append(sent, iris...), file), nil
}

var (
	demoIris    = [][]float64{{5.1, 3.5, 1.4, 0.2}, {7.0, 3.2, 4.7, 1.4}, {6.3, 3.3, 6.0, 2.5}, {4.9, 3.0, 1.4, 0.2}, {6.4, 3.2, 4.5, 1.5}, {5.8, 2.7, 5.1, 1.9}}
	demoSpecies = []string{"setosa", "versicolor", "virginica", "setosa", "versicolor", "virginica"}
)

// sendIris enqueues n inline tabular jobs.
func sendIris(ctx context.Context, sqsc *sqs.Client, queueURL string, n int) ([]demoJob, error) {
	var sent []demoJob
	for i := range n {
		id := fmt.Sprintf("iris-%03d", i)
		body, err := jobs.InlineJob{JobID: id, Model: "iris-rf", Features: mustJSON(demoIris[i%len(demoIris)]),
			Metadata: mustJSON(map[string]any{"row": i})}.Body()
		if err != nil {
			return nil, err
		}
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
			return nil, fmt.Errorf("enqueue %s: %w", id, err)
		}
		sent = append(sent, demoJob{id: id, input: "inline", want: demoSpecies[i%len(demoSpecies)]})
	}
	return sent, nil
}

// demoReviews are texts for the text model the demo serves (a Hugging Face
// export with no manifest of ours; setup makes minilm-sentiment with
// seeded weights, so its labels are not real sentiment).
var demoReviews = []string{
	"The parcel arrived two days early and the support team was lovely.",
	"Charged twice for one order and nobody answers my emails.",
	"It works. Nothing more to say.",
	"Crème brûlée kit was perfect — merci!",
	"配送が遅れましたが、商品は良かったです。",
}

// DemoTextModel is the text model the demo's reviews go to.
const DemoTextModel = "minilm-sentiment"

// sendReviews enqueues one inline text job per review.
func sendReviews(ctx context.Context, sqsc *sqs.Client, queueURL string) ([]demoJob, error) {
	var sent []demoJob
	for i, text := range demoReviews {
		id := fmt.Sprintf("review-%02d", i)
		body, err := jobs.InlineJob{JobID: id, Model: DemoTextModel, Text: &text}.Body()
		if err != nil {
			return nil, err
		}
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
			return nil, fmt.Errorf("enqueue %s: %w", id, err)
		}
		sent = append(sent, demoJob{id: id, input: "inline", want: text})
	}
	return sent, nil
}

// sendRecordFile uploads an iris CSV (columns named, in another order than
// the model's) and enqueues it as one job.
func sendRecordFile(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, queueURL, bucket string) (demoJob, error) {
	var csv strings.Builder
	csv.WriteString("id,petal_width,petal_length,sepal_width,sepal_length\n")
	for i := range demoRecords {
		f := demoIris[i%len(demoIris)]
		fmt.Fprintf(&csv, "row-%d,%v,%v,%v,%v\n", i, f[3], f[2], f[1], f[0])
	}
	key := "batches/iris.csv"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(csv.String())}); err != nil {
		return demoJob{}, fmt.Errorf("upload s3://%s/%s: %w", bucket, key, err)
	}
	uri := "s3://" + bucket + "/" + key
	body, err := jobs.InlineJob{JobID: "iris-file", Model: "iris-rf", S3: uri}.Body()
	if err != nil {
		return demoJob{}, err
	}
	if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
		return demoJob{}, fmt.Errorf("enqueue the record file: %w", err)
	}
	return demoJob{id: "iris-file", input: uri, records: demoRecords}, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v) // slices and maps of numbers always encode
	return b
}

// demoLine is one rendered text line and what it says.
type demoLine struct {
	png  []byte
	text string
}

// readLines picks n lines at random from dir (PNG files and _texts.json,
// as internal/samples writes them): the binary renders nothing itself.
func readLines(dir string, n int) ([]demoLine, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "_texts.json"))
	if err != nil {
		return nil, fmt.Errorf("demo text lines: %w (run `go tool task setup`, which writes them)", err)
	}
	var texts map[string]string
	if err := json.Unmarshal(raw, &texts); err != nil {
		return nil, fmt.Errorf("demo text lines: %s: %w", dir, err)
	}
	names := slices.Sorted(maps.Keys(texts))
	rand.New(rand.NewSource(time.Now().UnixNano())).Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var out []demoLine
	for _, name := range names[:min(n, len(names))] {
		png, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("demo text lines: %w", err)
		}
		out = append(out, demoLine{png: png, text: texts[name]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("demo text lines: %s holds none", dir)
	}
	return out, nil
}

// lockedBuffer collects the function's output as the runner writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func noise(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(7)).Read(b)
	return b
}

// waitFinal polls the table until every job is SUCCEEDED or FAILED. When
// nothing finishes for stallNote, and when it gives up, it says what the
// jobs queue holds: a bar that stops moving is explained.
func waitFinal(ctx context.Context, results *store.Results, queue *store.Queue, sent []demoJob, o DemoOptions) (map[string]*store.Record, error) {
	bar := progressbar.NewOptions(len(sent), progressbar.OptionSetWriter(o.Bar), progressbar.OptionSetDescription("jobs finished"),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Bar) }))
	recs := map[string]*store.Record{}
	deadline := time.Now().Add(o.Timeout)
	lastMove, noted := time.Now(), 0
	for len(recs) < len(sent) {
		before := len(recs)
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
		if len(recs) != before {
			lastMove, noted = time.Now(), 0
		}
		if time.Now().After(deadline) {
			return recs, fmt.Errorf("%d of %d jobs not finished after %s (queue: %s)", len(sent)-len(recs), len(sent), o.Timeout, backlog(ctx, queue))
		}
		if stalled := time.Since(lastMove); stalled > time.Duration(noted+1)*stallNote {
			noted++
			fmt.Fprintf(o.Bar, "\nno job finished for %s; queue: %s\n", stalled.Round(time.Second), backlog(ctx, queue))
		}
		select {
		case <-ctx.Done():
			return recs, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return recs, nil
}

// stallNote is how long the demo's bar may stand still before it says why.
const stallNote = 15 * time.Second

// backlog describes what queue holds, or why that is not known.
func backlog(ctx context.Context, queue *store.Queue) string {
	b, err := queue.Backlog(ctx)
	if err != nil {
		return "unknown: " + err.Error()
	}
	return b.Describe(time.Now())
}

func printResults(w io.Writer, sent []demoJob, recs map[string]*store.Record) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tINPUT\tSTATUS\tRESULT\tEXPECTED\tTIMINGS (ms)")
	var ocrOK, ocrN, irisOK, irisN, failedOK, failedN, textOK, textN int
	for _, j := range sent {
		r := recs[j.id]
		result := ""
		switch {
		case r.Error != nil:
			result = string(r.Error.Code)
		case r.Output["text"] != nil:
			result = fmt.Sprintf("%q (%.2f)", r.Output["text"], r.Output["confidence"])
		case r.Output["label"] != nil && strings.HasPrefix(j.id, "review-"):
			result = fmt.Sprintf("%v (%.2f)", r.Output["label"], r.Output["score"])
		case r.Output["label"] != nil:
			result = fmt.Sprintf("%v", r.Output["label"])
		case r.Output["records"] != nil:
			result = fmt.Sprintf("%v records, %v succeeded → %s", r.Output["records"], r.Output["succeeded"], r.OutputURI)
		}
		want := j.want
		switch {
		case j.records > 0:
			want = fmt.Sprintf("%d records", j.records)
		case j.corrupt:
			want = "FAILED"
			failedN++
			if r.Status == "FAILED" {
				failedOK++
			}
		case strings.HasPrefix(j.id, "review-"):
			textN++
			if r.Status == "SUCCEEDED" {
				textOK++
			}
			want = "a label of " + DemoTextModel
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
	fmt.Fprintf(w, "\nOCR exact matches %d/%d · iris labels right %d/%d · texts classified %d/%d · corrupt inputs FAILED %d/%d\n", ocrOK, ocrN, irisOK, irisN, textOK, textN, failedOK, failedN)
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
