package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// inline sends one inline job (--features, --file) or one job per s3:// URI.
func (f *submitCmd) inline(ctx context.Context, a *store.Adapters, uris []string, stdout, stderr io.Writer) ([]string, error) {
	spec := client.JobSpec{JobID: f.jobID, Model: f.model}
	if f.metadata != "" {
		spec.Metadata = json.RawMessage(f.metadata)
	}
	var specs []client.JobSpec
	switch {
	case f.features != "":
		spec.Features = json.RawMessage(f.features)
		specs = append(specs, spec)
	case f.file != "":
		data, err := os.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("read --file: %w", err)
		}
		spec.Data = data
		specs = append(specs, spec)
	default:
		if f.jobID != "" && len(uris) > 1 {
			return nil, fmt.Errorf("%w: --job-id names one job; %d inputs were given (omit it: each message id becomes its job id)", errUsage, len(uris))
		}
		for _, uri := range uris {
			if !strings.HasPrefix(uri, "s3://") {
				return nil, fmt.Errorf("%w: %q is not an s3:// URI (local files and folders cannot be mixed with URIs)", errUsage, uri)
			}
			s := spec
			s.S3 = uri
			specs = append(specs, s)
		}
	}
	bodies := make([]string, len(specs))
	for i, s := range specs {
		b, err := s.Body()
		if err != nil {
			return nil, err
		}
		bodies[i] = b
	}
	return f.send(ctx, a, bodies, stdout, stderr)
}

// send enqueues bodies (but not those of jobs already finished, unless
// --rerun) and prints each job as a JSON line.
func (f *submitCmd) send(ctx context.Context, a *store.Adapters, bodies []string, stdout, stderr io.Writer) ([]string, error) {
	q := a.Queue
	if q == nil {
		return nil, fmt.Errorf("%w: --queue-url or %s is required", errUsage, settings.QueueURL.Name)
	}
	ids := make([]string, len(bodies))
	for i, b := range bodies {
		ids[i] = client.BodyJobID(b)
	}
	skip, err := f.prior(ctx, a, ids, stderr)
	if err != nil {
		return nil, err
	}
	var sendBodies []string
	var already []client.Submitted
	for i, b := range bodies {
		if rec := skip[ids[i]]; rec != nil {
			already = append(already, client.Submitted{JobID: ids[i], Status: string(rec.Status)})
		} else {
			sendBodies = append(sendBodies, b)
		}
	}
	var sent []client.Submitted
	if len(sendBodies) > 0 {
		sent, err = client.Submit(ctx, q, sendBodies)
	}
	ids = nil
	enc := json.NewEncoder(stdout)
	for _, s := range already {
		ids = append(ids, s.JobID)
		if eerr := enc.Encode(s); eerr != nil {
			return ids, eerr
		}
	}
	for _, s := range sent {
		if s.MessageID == "" {
			continue
		}
		if s.JobID != "" {
			ids = append(ids, s.JobID)
		}
		if eerr := enc.Encode(s); eerr != nil {
			return ids, eerr
		}
	}
	return ids, err
}
