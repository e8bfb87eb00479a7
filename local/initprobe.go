package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// InitError is a function that cannot start: its init phase failed (a
// missing library, a bad variable), so no invocation can succeed.
type InitError struct {
	Message string // the function's own words, else RIE's
}

func (e *InitError) Error() string { return "the function failed to start: " + e.Message }

// probeEvent is an SQS event with no records: it makes RIE start the
// function (its init phase) and costs the worker nothing.
const probeEvent = `{"Records":[]}`

// probeInit invokes the function once before any real event, so a
// function that cannot start is reported as such, with its own last
// words, instead of failing every batch the mapping delivers.
func probeInit(ctx context.Context, rie *RIE, timeout time.Duration, out *tailWriter) error {
	pctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	_, err := rie.Invoke(pctx, []byte(probeEvent))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		if err != nil {
			return fmt.Errorf("first invoke of the function: %w%s", err, out.last(rie))
		}
		return nil
	}
	msg := fe.Type + ": " + fe.Message
	if line := out.lastLine("batchinfer "); line != "" {
		msg = line
	}
	return &InitError{Message: msg}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(p), nil
}

// last describes what an invoke that never reached the function leaves to
// go on: whether RIE is still running, and the end of its output.
func (w *tailWriter) last(rie *RIE) string {
	state := "RIE still running"
	select {
	case <-rie.Done():
		state = "RIE exited: " + fmt.Sprint(rie.proc.Wait())
	default:
	}
	w.mu.Lock()
	tail := string(w.buf[max(0, len(w.buf)-2048):])
	w.mu.Unlock()
	return fmt.Sprintf(" (%s; its last output:\n%s)", state, tail)
}

// lastLine is the last complete line starting with prefix, trimmed.
func (w *tailWriter) lastLine(prefix string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := bytes.Split(w.buf, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(string(lines[i])); strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
