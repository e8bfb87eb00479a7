package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

// isTerminal reports whether w is a terminal: bars and tables are for
// people; pipes get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newBar(w io.Writer, max int64, desc string, opts ...progressbar.Option) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max, append([]progressbar.Option{
		progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetVisibility(isTerminal(w)),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	}, opts...)...)
}

// fileBar shows bytes uploaded, with the files done in its description.
type fileBar struct {
	mu          sync.Mutex
	bar         *progressbar.ProgressBar
	done, total int
}

func newFileBar(w io.Writer, files []client.FileUpload) *fileBar {
	var bytes int64
	for _, f := range files {
		bytes += f.Size
	}
	b := &fileBar{total: len(files)}
	b.bar = newBar(w, max(bytes, 1), b.desc(), progressbar.OptionShowBytes(true))
	return b
}

func (b *fileBar) desc() string { return fmt.Sprintf("%d/%d files", b.done, b.total) }

func (b *fileBar) add(f client.FileUpload) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
	b.bar.Describe(b.desc())
	_ = b.bar.Add64(f.Size) // writes to a terminal; a failed redraw is not worth failing the upload
}

func (b *fileBar) finish() { _ = b.bar.Finish() }

// followJobs waits up to wait for the jobs with a bar of jobs finished
// (saying why the wait goes on: waitWatch), then prints a summary by
// status and error code. q is the jobs queue, nil when unknown.
func followJobs(ctx context.Context, r *store.Results, q *store.Queue, ids []string, wait time.Duration, stderr io.Writer) error {
	if len(ids) == 0 {
		return nil
	}
	recs, err := newWaitWatch(r, q).follow(ctx, ids, wait, 500*time.Millisecond, stderr)
	fmt.Fprintln(stderr, summaryLine(client.Summarize(recs)))
	return err
}

func summaryLine(s client.Summary) string {
	var parts []string
	for _, st := range []string{"SUCCEEDED", "FAILED", "IN_PROGRESS"} {
		if n := s.ByStatus[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	if s.Missing > 0 {
		parts = append(parts, fmt.Sprintf("not started %d", s.Missing))
	}
	codes := make([]string, 0, len(s.ByCode))
	for c, n := range s.ByCode {
		codes = append(codes, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(codes)
	line := "summary: " + strings.Join(parts, ", ")
	if len(codes) > 0 {
		line += " (errors: " + strings.Join(codes, ", ") + ")"
	}
	return line
}
