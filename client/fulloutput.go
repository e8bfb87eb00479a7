package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// FullOutput is a finished job's whole output: the item's own when no
// output_uri is set (it fits on the item), else the "output" of the JSON
// object at output_uri (a record file's JSON lines as a list of its
// records). nil for a job without output.
func FullOutput(ctx context.Context, in ObjectFetcher, rec *store.Record) (any, error) {
	if rec == nil || rec.OutputURI == "" {
		if rec == nil || rec.Output == nil {
			return nil, nil
		}
		return rec.Output, nil
	}
	obj, err := jobs.ParseS3URI(rec.OutputURI)
	if err != nil {
		return nil, fmt.Errorf("job %s: output_uri: %w", rec.JobID, err)
	}
	body, err := in.Fetch(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("job %s: fetch the output: %w", rec.JobID, err)
	}
	var doc struct {
		Output json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && doc.Output != nil {
		return doc.Output, nil
	}
	if json.Valid(body) {
		return json.RawMessage(body), nil // not the worker's envelope: show it whole
	}
	// A record file's output is JSON lines, one a record: a list of them.
	if lines, ok := jsonLines(body); ok {
		return lines, nil
	}
	return nil, fmt.Errorf("job %s: the output at %s is neither JSON nor JSON lines", rec.JobID, rec.OutputURI)
}

// jsonLines splits JSON lines into their values, false when a line is not
// JSON.
func jsonLines(body []byte) ([]json.RawMessage, bool) {
	var out []json.RawMessage
	for line := range bytes.Lines(body) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, false
		}
		out = append(out, json.RawMessage(line))
	}
	return out, true
}

// ObjectFetcher reads a whole S3 object (store.Inputs).
type ObjectFetcher interface {
	Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error)
}
