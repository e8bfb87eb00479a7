package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// files uploads files and folders to the inbox; each object's notification
// makes its job.
func (f *submitCmd) files(ctx context.Context, a *store.Adapters, paths []string, stdout, stderr io.Writer) ([]string, error) {
	if f.bucket == "" {
		return nil, fmt.Errorf("%w: --bucket or %s is required to upload files", errUsage, settings.InputBuckets.Name)
	}
	files, err := client.PlanUploads(paths, f.prefix)
	if err != nil {
		return nil, err
	}
	files, refused := client.CheckSizes(files, inputCaps())
	send, already, err := f.priorFiles(ctx, a, files, stderr)
	if err != nil {
		return nil, err
	}
	bar := newFileBar(stderr, send)
	ups := client.UploadFiles(ctx, &store.Files{Client: a.Objects.Client}, f.bucket, send, f.concurrency, bar.add)
	bar.finish()
	var ids []string
	failed := 0
	enc := json.NewEncoder(stdout)
	for _, u := range slices.Concat(ups, already, refused) {
		if u.Error != "" {
			failed++
		} else {
			ids = append(ids, u.JobID)
		}
		if err := enc.Encode(u); err != nil {
			return ids, err
		}
	}
	if failed > 0 {
		return ids, fmt.Errorf("%d of %d files were not uploaded", failed, len(ups)+len(already)+len(refused))
	}
	return ids, nil
}
