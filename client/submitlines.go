package client

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/batchinfer/batchinfer/jobs"
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
	sc.Buffer(make([]byte, 1<<20), jobs.MaxMessageBytes+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if _, err := jobs.CheckBody(line, checkID); err != nil {
			bad = append(bad, LineError{Line: n, Err: err})
			if strict {
				return bodies, lineNos, bad, nil
			}
			continue
		}
		bodies, lineNos = append(bodies, line), append(lineNos, n)
	}
	if err := sc.Err(); err != nil {
		return bodies, lineNos, bad, fmt.Errorf("read job lines: %w (a line over %d KiB cannot be a message)", err, jobs.MaxMessageBytes>>10)
	}
	return bodies, lineNos, bad, nil
}
