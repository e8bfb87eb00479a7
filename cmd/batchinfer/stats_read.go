package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

// Where `stats` reads EMF documents from: log files, stdin, or a
// CloudWatch Logs group.

// statFiles reads the documents of log files, "-" (or none) for stdin.
func statFiles(ctx context.Context, files []string) ([]metrics.Doc, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	var docs []metrics.Doc
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var r io.Reader = stdin
		if name == "-" {
			name = "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return nil, fmt.Errorf("open log: %w", err)
			}
			defer f.Close()
			r = f
		}
		d, err := statParse(name, r)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

func statParse(name string, r io.Reader) ([]metrics.Doc, error) {
	docs, err := metrics.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return docs, nil
}

// logGroup streams the namespace's EMF documents of a log group from the
// last since, filtered by the service.
func logGroup(ctx context.Context, group, namespace string, since time.Duration) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		awsCfg, err := store.LoadAWSConfig(ctx)
		if err == nil {
			logs := &store.LogEvents{Client: cloudwatchlogs.NewFromConfig(awsCfg)}
			now := time.Now()
			_, err = logs.Copy(ctx, group, metrics.FilterPattern(namespace), now.Add(-since), now, pw)
		}
		pw.CloseWithError(err)
	}()
	return pr
}
