package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// recordFile marks a task whose input is a record file (JSONL or CSV):
// one job whose records are micro-batched across tensor runs and whose
// output is one JSONL object, one line per record in file order.
type recordFile struct {
	format  jobs.RecordFormat
	gzipped bool
}

// errPaused stops a record file at a record boundary: the invocation is
// running out of time (or a record met a transient failure), and the file
// goes on from its last committed part on its next delivery.
var errPaused = errors.New("record file paused")

// recordContentType is the output object's content type.
const recordContentType = "application/x-ndjson"

// runRecordFiles runs the claimed record files one after another with the
// time the single jobs left.
func (w *Worker) runRecordFiles(workCtx, finishCtx context.Context, tasks []*task, deadline time.Time) {
	for _, t := range tasks {
		if !t.inPlay() || t.file == nil || !t.claimed {
			continue
		}
		w.runRecordFile(workCtx, finishCtx, t, deadline)
		if t.state != failed { // failures are logged with the dead letters
			w.logOutcome(t)
		}
	}
}

// fileRun is one invocation's work on one record file. committed is what
// the item's progress says; cur adds the records whose lines are in buf,
// not yet in an uploaded part.
type fileRun struct {
	w         *Worker
	t         *task
	deadline  time.Time
	committed store.Progress
	cur       store.Progress
	buf       bytes.Buffer
	started   int64       // committed.Offset when this invocation began
	vec       *vectorSink // the embeddings' side output (nil: none)
}

func (w *Worker) runRecordFile(workCtx, finishCtx context.Context, t *task, deadline time.Time) {
	obj := *t.job.Input.S3
	if !w.bucketAllowed(obj.Bucket) {
		t.fail(jobs.Errorf(jobs.CodeBucketNotAllowed, "bucket %q is not in %s", obj.Bucket, settings.InputBuckets.Name))
		return
	}
	fr := &fileRun{w: w, t: t, deadline: deadline}
	fr.committed = store.Progress{Key: w.Outputs.RecordKey(t.job.ID)}
	if t.existing != nil && t.existing.Progress != nil {
		fr.committed = *t.existing.Progress
	}
	fr.cur, fr.started = cloneProgress(fr.committed), fr.committed.Offset
	fr.vec = w.vectorSink(t, fr.cur)
	if err := fr.loadCarry(finishCtx); err != nil {
		fr.stop(finishCtx, err)
		return
	}
	if !fr.committed.Assembled {
		t0 := w.now()
		err := fr.process(workCtx)
		t.time("infer", t0)
		if err == nil {
			err = fr.assemble(finishCtx)
		}
		if err != nil {
			fr.stop(finishCtx, err)
			return
		}
	}
	p := fr.cur
	if c := fr.committed.Carry; c != "" { // its lines are in the output now
		_ = fr.w.Outputs.DeleteKey(finishCtx, c)
	}
	t.status, t.outputURI = store.StatusSucceeded, w.Outputs.URI(p.Key)
	out := map[string]any{"records": p.Records, "succeeded": p.Succeeded, "failed": p.Failed, "errors": p.Errors}
	if fr.vec != nil {
		out["vectors_uri"] = w.Outputs.URI(fr.vec.prefix)
	}
	t.succeed(out)
	t.stored = t.output
	w.write(finishCtx, t)
}

// process reads the file from the committed offset, runs its records in
// packs and uploads a part whenever a part's worth of lines is ready. A
// reader goroutine parses the next pack while the current one runs.
func (fr *fileRun) process(ctx context.Context) error {
	w, t := fr.w, fr.t
	body, err := fr.open(ctx)
	if err != nil {
		return err
	}
	defer body.Close()
	rr, err := jobs.NewRecordReader(body.r, fr.readerOptions())
	if err != nil {
		return jobs.Wrap(jobs.CodeInternal, err, "read record file %s", t.job.Input)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	packs := readPacks(rctx, rr, w.recordPackRows(t))
	for p := range packs {
		if p.err != nil {
			return jobs.Wrap(jobs.CodeOf(p.err), p.err, "read record file %s", t.job.Input)
		}
		if ctx.Err() != nil {
			return errPaused
		}
		if err := fr.runPack(ctx, p.recs); err != nil {
			return err
		}
		fr.cur.Header = p.header
		switch {
		case fr.buf.Len() >= w.Config.recordPartBytes():
			if err := fr.commitPart(ctx); err != nil {
				return err
			}
		case fr.vec != nil && fr.vec.bytes >= int64(w.Config.recordPartBytes()):
			// Vectors outgrow their lines (the lines may not even hold
			// them): write them and carry the lines, a commit point that
			// needs no part of S3's 5 MiB minimum.
			if err := fr.checkpoint(ctx); err != nil {
				return err
			}
		}
	}
	return ctx.Err() // a pack cut short by the deadline is not the end of the file
}

// readerOptions resume the reader at the committed offset.
func (fr *fileRun) readerOptions() jobs.RecordReaderOptions {
	return fr.entityOptions(jobs.RecordReaderOptions{
		Format: fr.t.file.format, Gzipped: fr.t.file.gzipped,
		Features: fr.t.model.Manifest().Preprocess.Features,
		Offset:   fr.committed.Offset, NextNum: fr.committed.Records + 1, Header: fr.committed.Header,
	})
}

// pack is one batch of parsed records, or the stream's failure.
type pack struct {
	recs   []jobs.Record
	header []string
	err    error
}

// readPacks parses records into packs of n on a goroutine of its own.
func readPacks(ctx context.Context, rr *jobs.RecordReader, n int) <-chan pack {
	out := make(chan pack, 1)
	go func() {
		defer close(out)
		for {
			p := pack{recs: make([]jobs.Record, 0, n)}
			for len(p.recs) < n {
				rec, err := rr.Next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						p.err = err
					}
					break
				}
				p.recs = append(p.recs, rec)
			}
			p.header = rr.Header()
			if len(p.recs) == 0 && p.err == nil {
				return
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil || len(p.recs) < n {
				return
			}
		}
	}()
	return out
}

// commitPart uploads the lines in buf as the next part and records the
// progress on the item: from here on a crash loses nothing before cur.
func (fr *fileRun) commitPart(ctx context.Context) error {
	w := fr.w
	if fr.cur.UploadID == "" {
		err := store.Retry(ctx, func(ctx context.Context) error {
			var err error
			fr.cur.UploadID, err = w.Outputs.CreateUpload(ctx, fr.cur.Key, recordContentType)
			return err
		})
		if err != nil {
			return err
		}
	}
	n := int32(len(fr.cur.Parts) + 1)
	var etag string
	err := store.Retry(ctx, func(ctx context.Context) error {
		var err error
		etag, err = w.Outputs.UploadPart(ctx, fr.cur.Key, fr.cur.UploadID, n, fr.buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	// The lines are in part n now, whether or not the save below lands:
	// buf must not hold them too, or a pause would carry them as well and
	// the next part repeat them.
	fr.cur.Parts = append(fr.cur.Parts, store.Part{Number: n, ETag: etag})
	fr.cur.Carry = ""
	fr.buf.Reset()
	if err := fr.flushVectors(ctx); err != nil {
		return err
	}
	return fr.commit(ctx, fr.deadline)
}

// commit saves cur as the item's progress and makes it the committed
// state; a carry object it no longer names is deleted (best effort: a
// leftover is clutter, never output).
func (fr *fileRun) commit(ctx context.Context, until time.Time) error {
	if err := fr.save(ctx, until); err != nil {
		return err
	}
	if old := fr.committed.Carry; old != "" && old != fr.cur.Carry {
		_ = fr.w.Outputs.DeleteKey(ctx, old)
	}
	fr.committed = cloneProgress(fr.cur)
	return nil
}

// save writes cur as the item's progress, holding the lease until until
// (zero: released).
func (fr *fileRun) save(ctx context.Context, until time.Time) error {
	rec := fr.w.item(fr.t)
	p := cloneProgress(fr.cur)
	rec.Progress = &p
	return store.Retry(ctx, func(ctx context.Context) error { return fr.w.Results.SaveProgress(ctx, rec, until) })
}

// assemble writes the whole output: one PUT when the file fitted in one
// invocation and one part, else the last part and the multipart completion.
func (fr *fileRun) assemble(ctx context.Context) error {
	w := fr.w
	if len(fr.cur.Parts) == 0 {
		if err := fr.flushVectors(ctx); err != nil {
			return err
		}
		return store.Retry(ctx, func(ctx context.Context) error {
			return w.Outputs.PutKey(ctx, fr.cur.Key, fr.buf.Bytes(), recordContentType)
		})
	}
	if fr.buf.Len() > 0 {
		if err := fr.commitPart(ctx); err != nil {
			return err
		}
	}
	err := store.Retry(ctx, func(ctx context.Context) error {
		return w.Outputs.CompleteUpload(ctx, fr.cur.Key, fr.cur.UploadID, fr.cur.Parts)
	})
	if err != nil {
		return err
	}
	fr.cur.Assembled = true
	return fr.commit(ctx, fr.deadline)
}

// carryKey is where a paused file's lines after its last part wait: named
// by the offset they reach, so a carry is never overwritten with lines the
// committed progress does not count.
func (fr *fileRun) carryKey() string { return fr.cur.Key + ".carry." + itoa(fr.cur.Offset) }

// loadCarry puts the lines a paused invocation carried back in buf.
func (fr *fileRun) loadCarry(ctx context.Context) error {
	if fr.committed.Carry == "" {
		return nil
	}
	return store.Retry(ctx, func(ctx context.Context) error {
		b, err := fr.w.Outputs.GetKey(ctx, fr.committed.Carry)
		if err == nil {
			fr.buf.Reset()
			fr.buf.Write(b)
		}
		return err
	})
}

// checkpoint commits the progress without a part: the lines after the last
// part are carried (and the vectors written) as a pause does, and the file
// goes on with the lease held.
func (fr *fileRun) checkpoint(ctx context.Context) error {
	if !fr.carry(ctx) {
		return jobs.Errorf(jobs.CodeDeadline, "record file: could not save the lines and vectors after record %d", fr.cur.Records)
	}
	return fr.commit(ctx, fr.deadline)
}

// carry saves the lines after the last part, so that the records this
// invocation ran count as done even though they fill no part yet. It
// reports whether cur may be committed: false when this invocation got no
// further or its lines could not be saved; true without a carry when
// every line is in a part (one whose progress save ran out of time).
func (fr *fileRun) carry(ctx context.Context) bool {
	if fr.cur.Offset <= fr.committed.Offset {
		return false
	}
	if fr.buf.Len() == 0 {
		return true
	}
	key := fr.carryKey()
	err := store.Retry(ctx, func(ctx context.Context) error {
		return fr.w.Outputs.PutKey(ctx, key, fr.buf.Bytes(), recordContentType)
	})
	if err == nil {
		err = fr.flushVectors(ctx) // the carried records' vectors, before the progress counts them
	}
	if err != nil {
		return false
	}
	fr.cur.Carry = key
	return true
}

// stop ends an unfinished file: a permanent failure fails the job; a lost
// claim leaves it to the attempt that took it; otherwise the progress is
// released so the next delivery resumes at once, and when this invocation
// got further, a continuation message carries the file on.
func (fr *fileRun) stop(ctx context.Context, err error) {
	t := fr.t
	switch {
	case errors.Is(err, store.ErrClaimLost):
		t.ack("another attempt took the record file over")
		return
	case jobs.IsPermanent(err):
		t.fail(err)
		return
	}
	if errors.Is(err, errPaused) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = jobs.Errorf(jobs.CodeDeadline, "record file paused at record %d (offset %d): the invocation ran out of time", fr.committed.Records, fr.committed.Offset)
	}
	if !fr.carry(ctx) {
		fr.cur = cloneProgress(fr.committed) // nothing further to count: release as committed
	}
	if serr := fr.commit(ctx, time.Time{}); serr != nil {
		fr.w.logger().Warn("could not release a paused record file; it resumes when its lease ends", "job_id", t.job.ID, "err", serr)
	}
	if fr.committed.Offset > fr.started && fr.w.continueMessage(ctx, t) {
		t.ack("record file continues in a new message from record " + itoa(fr.committed.Records+1))
		return
	}
	t.retry(err)
}

// continueMessage re-enqueues t's message body; false when there is no
// jobs queue or the send failed (the message is then redelivered).
func (w *Worker) continueMessage(ctx context.Context, t *task) bool {
	// Only an SQS message can be sent on as it came: a direct S3 invoke or
	// an S3 Batch Operations task is retried by its caller instead.
	if w.Continuations == nil || t.msg.MessageID == "" || t.msg.Delivered.EventSource != "aws:sqs" {
		return false
	}
	sent, err := w.Continuations.Send(ctx, []store.OutMessage{{Body: t.msg.Body}})
	if err == nil && len(sent) == 1 {
		err = sent[0].Err
	}
	if err != nil {
		w.logger().Warn("could not send a record file's continuation; it resumes on redelivery", "job_id", t.job.ID, "err", err)
		return false
	}
	return true
}

func cloneProgress(p store.Progress) store.Progress {
	p.Errors = maps.Clone(p.Errors)
	p.Parts = slices.Clone(p.Parts)
	p.Header = slices.Clone(p.Header)
	return p
}

// recordLine encodes one output line: {"id", "output"} or {"id", "error"}.
// It returns the error the line carries (nil for an output line).
func recordLine(buf *bytes.Buffer, id json.RawMessage, out map[string]any, err error) error {
	var o []byte
	if err == nil {
		var merr error
		if o, merr = json.Marshal(out); merr != nil {
			err = jobs.Wrap(jobs.CodeInferenceFailed, merr, "encode the output as JSON")
		}
	}
	buf.WriteString(`{"id":`)
	buf.Write(id)
	if err != nil {
		e, _ := json.Marshal(map[string]string{"code": string(jobs.CodeOf(err)), "message": jobs.MessageOf(err)})
		buf.WriteString(`,"error":`)
		buf.Write(e)
	} else {
		buf.WriteString(`,"output":`)
		buf.Write(o)
	}
	buf.WriteString("}\n")
	return err
}
