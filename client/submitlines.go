package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// LineError is a job line that was not sent, by its line number.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ReadJobLines reads a JSON-lines file of jobs: one job per non-empty
// line, each checked as the worker will decode it. Bad lines are returned
// apart, with their numbers; strict stops at the first.
func ReadJobLines(r io.Reader, strict bool) (bodies []string, lineNos []int, bad []LineError, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), maxMessageBytes+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := checkBody(line); err != nil {
			bad = append(bad, LineError{Line: n, Err: err})
			if strict {
				return bodies, lineNos, bad, nil
			}
			continue
		}
		bodies, lineNos = append(bodies, line), append(lineNos, n)
	}
	if err := sc.Err(); err != nil {
		return bodies, lineNos, bad, fmt.Errorf("read job lines: %w (a line over %d KiB cannot be a message)", err, maxMessageBytes>>10)
	}
	return bodies, lineNos, bad, nil
}

// checkBody refuses what Submit would: a body the worker cannot decode,
// one that carries no work, one over SQS's limit.
func checkBody(b string) error {
	if len(b) > maxMessageBytes {
		return fmt.Errorf("the message is %d KiB, over SQS's 256 KiB", len(b)>>10)
	}
	m := jobs.DecodeMessage(events.SQSMessage{MessageId: checkID, Body: b})
	switch {
	case m.Err != nil:
		return m.Err
	case m.Ignored:
		return fmt.Errorf("carries no work (%s)", m.IgnoredReason)
	}
	return nil
}

// JobGetter reads one job item (store.Results).
type JobGetter interface {
	Get(ctx context.Context, jobID string) (*store.Record, error)
}
