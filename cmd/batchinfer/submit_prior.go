package main

import (
	"context"
	"fmt"
	"io"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// prior finds which of ids ("" unknown) already finished. With --rerun it
// resets them, so they are sent and run again; without, they are not sent
// (the worker would acknowledge them as duplicates) and are returned. It
// says what it found either way.
func (f *submitCmd) prior(ctx context.Context, a *store.Adapters, ids []string, stderr io.Writer) (map[string]*store.Record, error) {
	if f.table == "" || a.Results == nil {
		return nil, nil // no table named: nothing to look in
	}
	found, err := client.FindFinished(ctx, a.Results, ids)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	what := client.DescribeFinished(found)
	if f.rerun {
		if err := client.ResetFinished(ctx, a.Results, found); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "batchinfer submit: %s: reset, sent again (--rerun)\n", what)
		return nil, nil
	}
	fmt.Fprintf(stderr, "batchinfer submit: %s: not sent again (`batchinfer results JOB_ID` shows them; --rerun resets and sends them again)\n", what)
	return found, nil
}

// priorFiles splits files into those to upload and those whose job (by
// the file's content) already finished.
func (f *submitCmd) priorFiles(ctx context.Context, a *store.Adapters, files []client.FileUpload, stderr io.Writer) ([]client.FileUpload, []client.Uploaded, error) {
	ids := make([]string, len(files))
	if f.table != "" {
		for i, fu := range files {
			ids[i], _ = client.FileJobID(f.bucket, fu) // unreadable: the upload says why
		}
	}
	skip, err := f.prior(ctx, a, ids, stderr)
	if err != nil {
		return nil, nil, err
	}
	var send []client.FileUpload
	var already []client.Uploaded
	for i, fu := range files {
		if rec := skip[ids[i]]; rec != nil {
			already = append(already, client.Uploaded{File: fu.Path, S3: "s3://" + f.bucket + "/" + fu.Key, JobID: ids[i], Status: string(rec.Status)})
			continue
		}
		send = append(send, fu)
	}
	return send, already, nil
}

// inputCaps are the worker's caps, from its variables (the defaults when
// unset), so a file the worker would refuse is refused before its upload.
func inputCaps() client.SizeCaps {
	env := settings.From(nil)
	return client.SizeCaps{
		Input: env.Int(settings.MaxInputBytes, 1), InputName: settings.MaxInputBytes.Name,
		RecordFile: env.Int(settings.MaxRecordFileBytes, 1), RecordFileName: settings.MaxRecordFileBytes.Name,
	}
}
