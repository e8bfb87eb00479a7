package emulators

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/pinned"
)

// proc is one emulator process started from a launcher script.
type proc struct {
	name   string
	child  *pinned.Process
	port   int
	stderr *testenv.Buffer // capped: for error messages, and a chatty child cannot grow it
}

// startTimeout bounds how long a launcher may take to print its port; node
// starts in well under a second here, the margin is for a loaded machine.
const startTimeout = 20 * time.Second

// stderrCap is how much of an emulator's stderr is kept for errors.
const stderrCap = 16 << 10

// launch runs `node SCRIPT 0` and waits for the JSON line
// {"service":...,"port":N} the launcher prints once it listens.
func launch(ctx context.Context, node, script, name string) (*proc, error) {
	cmd := exec.Command(node, script, "0")
	// StdoutPipe, though pinned waits at once: only the first line matters,
	// and a launcher that exits before printing it has failed anyway.
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, stderr: &testenv.Buffer{Cap: stderrCap}}
	cmd.Stderr = p.stderr
	// pinned: the emulator must not outlive the test binary even if it is
	// killed without running cleanups, nor die before it.
	if p.child, err = pinned.Start(cmd); err != nil {
		return nil, fmt.Errorf("start %s (%s %s): %w", name, node, script, err)
	}

	lines := make(chan []byte, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadBytes('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r) // keep the pipe drained
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line := <-lines:
		var hello struct {
			Service string `json:"service"`
			Port    int    `json:"port"`
		}
		if err := json.Unmarshal(bytes.TrimSpace(line), &hello); err != nil || hello.Port == 0 {
			p.kill()
			return nil, fmt.Errorf("start %s: launcher printed %q, want {\"port\":N} (stderr: %s)", name, line, p.stderr.String())
		}
		p.port = hello.Port
		return p, nil
	case <-timer.C:
		p.kill()
		return nil, fmt.Errorf("start %s: no port after %s (stderr: %s)", name, startTimeout, p.stderr.String())
	case <-ctx.Done():
		p.kill()
		return nil, fmt.Errorf("start %s: %w", name, ctx.Err())
	}
}

// kill stops the process by its pid and waits for it to exit.
func (p *proc) kill() {
	if p != nil {
		p.child.Stop(2 * time.Second)
	}
}

// exited reports an error if the process is no longer running, with how
// it ended (an exit code is a crash node reported on stderr; a signal, a
// kill from outside: the OOM killer's SIGKILL, an abort on heap
// exhaustion) and what it wrote.
func (p *proc) exited() error {
	select {
	case <-p.child.Done():
		return fmt.Errorf("%s (pid %d) exited (%v); stderr: %q", p.name, p.child.Pid(), p.child.Wait(), p.stderr)
	default:
		return nil
	}
}
