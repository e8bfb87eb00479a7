package worker

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	feat "github.com/batchinfer/batchinfer/features"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// sizedBody is a record file's stream.
type sizedBody struct {
	r    io.ReadCloser
	size int64
}

func (b sizedBody) Close() error { return b.r.Close() }

// open streams the file from the committed offset (a plain file) or from
// its start (a gzipped one, which the reader skips through): the file is
// never held in memory whole.
func (fr *fileRun) open(ctx context.Context) (sizedBody, error) {
	w, t := fr.w, fr.t
	offset := fr.committed.Offset
	if t.file.gzipped {
		offset = 0
	}
	var b sizedBody
	err := store.Retry(ctx, func(ctx context.Context) error {
		var err error
		b.r, b.size, err = w.Inputs.Open(ctx, *t.job.Input.S3, offset)
		return err
	})
	if err != nil {
		return b, err
	}
	if b.size > w.Config.maxRecordFileBytes() {
		b.r.Close()
		return b, jobs.Errorf(jobs.CodeInputTooLarge, "record file %s is %d bytes, over %s=%d",
			t.job.Input, b.size, settings.MaxRecordFileBytes.Name, w.Config.maxRecordFileBytes())
	}
	return b, nil
}

// runPack runs one pack of records: its entities' features read in
// batches, pointed-to objects fetched concurrently, every usable record through the engine in one call, and
// one output line per record appended to buf in file order. A transient
// failure (a fetch that kept failing, the deadline) stops the file before
// this pack, which is then run again on resumption.
func (fr *fileRun) runPack(ctx context.Context, recs []jobs.Record) error {
	w, t := fr.w, fr.t
	data := make([][]byte, len(recs))
	errs := make([]error, len(recs))
	found, err := fr.readFeatures(ctx, recs)
	if err != nil {
		return err
	}
	fr.fetchPointers(ctx, recs, data, errs)
	var items []engine.Item
	var idx []int
	for i, r := range recs {
		switch {
		case r.Err != nil:
			errs[i] = r.Err
		case errs[i] != nil:
			if !jobs.IsPermanent(errs[i]) {
				return errs[i]
			}
		default:
			in, err := engine.InputOf(r.Input, data[i])
			if err == nil {
				in, err = feat.Apply(t.model, found[i], in)
			}
			if err != nil {
				errs[i] = err
				continue
			}
			items = append(items, engine.Item{Model: t.model, Input: in})
			idx = append(idx, i)
		}
	}
	outs := make([]map[string]any, len(recs))
	if len(items) > 0 {
		t0 := w.now()
		preds := w.Engine.Predict(ctx, items)
		t.m.phase("infer", t0)
		t.m.runs(items, preds)
		for j, p := range preds {
			i := idx[j]
			if p.Err != nil && !jobs.IsPermanent(p.Err) {
				return p.Err
			}
			outs[i], errs[i] = p.Output, p.Err
			t.batch = max(t.batch, p.BatchSize)
		}
	}
	for i, r := range recs {
		out, err := outs[i], errs[i]
		if fr.vec != nil && err == nil {
			out, err = fr.vec.take(r.ID, out)
		} else if fr.vec != nil {
			fr.vec.skip(r.ID)
		}
		err = recordLine(&fr.buf, r.ID, out, err)
		fr.count(err)
		fr.cur.Offset = r.End
	}
	return nil
}

// fetchPointers reads the objects that records point to.
func (fr *fileRun) fetchPointers(ctx context.Context, recs []jobs.Record, data [][]byte, errs []error) {
	w := fr.w
	var ptrs []*task // reuse each's concurrency: one throwaway task per pointer
	var at []int
	for i, r := range recs {
		switch in := r.Input; {
		case r.Err != nil:
		case in.S3 != nil:
			ptrs = append(ptrs, &task{job: jobs.Job{Input: in}, now: fr.w.now, timing: map[string]int64{}})
			at = append(at, i)
		}
	}
	pos := make(map[*task]int, len(ptrs))
	for j, p := range ptrs {
		pos[p] = at[j]
	}
	w.each(ptrs, func(p *task) {
		i := pos[p]
		obj := *p.job.Input.S3
		if !w.bucketAllowed(obj.Bucket) {
			errs[i] = jobs.Errorf(jobs.CodeBucketNotAllowed, "bucket %q is not in %s", obj.Bucket, settings.InputBuckets.Name)
			return
		}
		data[i], errs[i] = w.fetchObject(ctx, obj)
	})
}

// count adds one record's line to cur's counts.
func (fr *fileRun) count(err error) {
	fr.cur.Records++
	if err == nil {
		fr.cur.Succeeded++
		return
	}
	fr.cur.Failed++
	if fr.cur.Errors == nil {
		fr.cur.Errors = map[string]int64{}
	}
	fr.cur.Errors[string(jobs.CodeOf(err))]++
}

// fetchObject reads one S3 input, retried within a third of the time left
// so one object that keeps failing never holds its neighbours back.
func (w *Worker) fetchObject(ctx context.Context, obj jobs.S3Object) ([]byte, error) {
	fctx, cancel := context.WithTimeout(ctx, fetchBudget(ctx))
	defer cancel()
	var data []byte
	err := store.Retry(fctx, func(ctx context.Context) error {
		var err error
		data, err = w.Inputs.Fetch(ctx, obj)
		return err
	})
	return data, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fetchBudget is how long one input's fetch may retry: a third of the time
// left for work, so a stuck object never starves its neighbours.
func fetchBudget(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Minute
	}
	return max(time.Until(d)/3, 0)
}

// recordPackRows is how many records of a file run together: several
// tensor runs' worth, so parsing, fetching and writing amortise.
func (w *Worker) recordPackRows(t *task) int { return max(4*w.Engine.PackRows(t.model), 256) }
