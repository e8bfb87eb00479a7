package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("submit", "enqueue inline jobs and print their job and message ids as JSON lines", runSubmit)
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("submit", stderr, "[--queue-url URL] [--model M] [--job-id ID] [--metadata JSON] (s3://bucket/key... | --features JSON | --file F | - for job JSON lines on stdin)")
	queueURL := fs.String("queue-url", os.Getenv("BATCHINFER_QUEUE_URL"), "jobs queue URL (default $BATCHINFER_QUEUE_URL)")
	model := fs.String("model", "", "model name (default: the worker's default model)")
	jobID := fs.String("job-id", "", "job id (default: the message id); only with a single job")
	metadata := fs.String("metadata", "", "JSON object copied to the result")
	features := fs.String("features", "", "inline tabular input: a JSON array or object")
	file := fs.String("file", "", fmt.Sprintf("send this file inline, base64-encoded (at most %d KiB)", worker.MaxInlineDataBytes>>10))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *queueURL == "" {
		return fmt.Errorf("%w: --queue-url or BATCHINFER_QUEUE_URL is required", errUsage)
	}
	spec := worker.JobSpec{JobID: *jobID, Model: *model}
	if *metadata != "" {
		spec.Metadata = json.RawMessage(*metadata)
	}
	var bodies []string
	add := func(s worker.JobSpec) error {
		b, err := s.Body()
		if err == nil {
			bodies = append(bodies, b)
		}
		return err
	}
	kinds := 0
	for _, set := range []bool{*features != "", *file != "", fs.NArg() > 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		fs.Usage()
		return fmt.Errorf("%w: give exactly one of s3:// URIs, --features, --file or -", errUsage)
	}
	switch {
	case *features != "":
		spec.Features = json.RawMessage(*features)
		if err := add(spec); err != nil {
			return err
		}
	case *file != "":
		data, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("read --file: %w", err)
		}
		spec.Data = data
		if err := add(spec); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	case fs.NArg() == 1 && fs.Arg(0) == "-":
		if *jobID != "" || *model != "" || *metadata != "" {
			return fmt.Errorf("%w: with - each stdin line is a whole job JSON; --job-id, --model and --metadata do not apply", errUsage)
		}
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				bodies = append(bodies, line)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	default:
		if *jobID != "" && fs.NArg() > 1 {
			return fmt.Errorf("%w: --job-id names one job; %d inputs were given (omit it: each message id becomes its job id)", errUsage, fs.NArg())
		}
		for _, uri := range fs.Args() {
			if !strings.HasPrefix(uri, "s3://") {
				return fmt.Errorf("%w: %q is not an s3:// URI (use --file for a local file)", errUsage, uri)
			}
			s := spec
			s.S3 = uri
			if err := add(s); err != nil {
				return err
			}
		}
	}
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	sent, err := worker.Submit(ctx, &store.Queue{Client: sqs.NewFromConfig(awsCfg), URL: *queueURL}, bodies)
	enc := json.NewEncoder(stdout)
	for _, s := range sent {
		if s.MessageID != "" {
			if eerr := enc.Encode(s); eerr != nil {
				return eerr
			}
		}
	}
	return err
}
