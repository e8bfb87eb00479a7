package client

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Work sent again is work already done: the worker acknowledges a job
// whose item is final as a duplicate. So submit looks first, says what it
// found, and sends those jobs again only when asked to rerun them (after
// resetting their items, so their next delivery runs them).

// JobLookup reads items by id (store.Results).
type JobLookup interface {
	Lookup(ctx context.Context, ids []string) (map[string]*store.Record, error)
}

// JobResetter makes a finished job runnable again (store.Results).
type JobResetter interface {
	Reset(ctx context.Context, jobID string, expect store.Status) error
}

// FindFinished returns the jobs of ids ("" skipped) whose item is final.
func FindFinished(ctx context.Context, r JobLookup, ids []string) (map[string]*store.Record, error) {
	var known []string
	for _, id := range ids {
		if id != "" {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		return nil, nil
	}
	found, err := r.Lookup(ctx, known)
	if err != nil {
		return nil, fmt.Errorf("look up earlier results: %w", err)
	}
	for id, rec := range found {
		if rec == nil || !rec.Status.Final() {
			delete(found, id)
		}
	}
	return found, nil
}

// DescribeFinished words what was found: "3 already SUCCEEDED, 1 FAILED
// unknown_model".
func DescribeFinished(recs map[string]*store.Record) string {
	byStatus := map[store.Status]int{}
	byCode := map[string]int{}
	for _, r := range recs {
		byStatus[r.Status]++
		if r.Error != nil {
			byCode[string(r.Error.Code)]++
		}
	}
	var parts []string
	if n := byStatus[store.StatusSucceeded]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d already SUCCEEDED", n))
	}
	if n := byStatus[store.StatusFailed]; n > 0 {
		codes := make([]string, 0, len(byCode))
		for c := range byCode {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		s := fmt.Sprintf("%d FAILED", n)
		switch {
		case len(codes) == 1:
			s += " " + codes[0]
		case len(codes) > 1:
			for i, c := range codes {
				codes[i] = fmt.Sprintf("%d %s", byCode[c], c)
			}
			s += " (" + strings.Join(codes, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// ResetFinished resets each finished job so that its next delivery runs
// it again; a job written meanwhile is left as it is.
func ResetFinished(ctx context.Context, r JobResetter, recs map[string]*store.Record) error {
	var errs []error
	for id, rec := range recs {
		if err := r.Reset(ctx, id, rec.Status); err != nil && !errors.Is(err, store.ErrChanged) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// FileJobID is the job id a file's upload to an unversioned bucket gets:
// the ETag of one PutObject (without SSE-KMS) is the MD5 of its bytes. A
// versioned bucket gives every upload a new version, so a new job.
func FileJobID(bucket string, f FileUpload) (string, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("read %s: %w", f.Path, err)
	}
	return jobs.ObjectJobID(bucket, f.Key, "", hex.EncodeToString(h.Sum(nil))), nil
}

// BodyJobID is the job id the worker will give a message body, "" when
// only its message id will tell (or it is not a single job).
func BodyJobID(body string) string {
	m := jobs.DecodeMessage(events.SQSMessage{MessageId: checkID, Body: body})
	if m.Err != nil || len(m.Jobs) != 1 || m.Jobs[0].ID == checkID {
		return ""
	}
	return m.Jobs[0].ID
}

// SizeCaps are the worker's input caps, checked before an upload, and the
// variables that set them (named in a refusal).
type SizeCaps struct {
	Input, RecordFile         int64
	InputName, RecordFileName string
}

// CheckSizes splits files into those within the worker's caps and those
// over (a record file has its own cap), refused before any byte is sent.
func CheckSizes(files []FileUpload, caps SizeCaps) (ok []FileUpload, refused []Uploaded) {
	for _, f := range files {
		limit, name := caps.Input, caps.InputName
		if _, _, rec := jobs.RecordFileFormat(f.Key); rec {
			limit, name = caps.RecordFile, caps.RecordFileName
		}
		if limit > 0 && f.Size > limit {
			refused = append(refused, Uploaded{File: f.Path, Error: fmt.Sprintf("%s: %d bytes, over the worker's input cap of %d bytes (%s): not uploaded",
				jobs.CodeInputTooLarge, f.Size, limit, name)})
			continue
		}
		ok = append(ok, f)
	}
	return ok, refused
}
