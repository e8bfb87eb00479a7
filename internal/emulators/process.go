package emulators

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// proc is one emulator process started from a launcher script.
type proc struct {
	name   string
	cmd    *exec.Cmd
	port   int
	stderr *testenv.Buffer // capped: for error messages, and a chatty child cannot grow it
	done   chan struct{}   // closed when the process has exited
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
	// The emulator must not outlive the test binary even if it is killed
	// without running cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, stderr: &testenv.Buffer{Cap: stderrCap}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := startPinned(cmd, p.done); err != nil {
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
	if p == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited reports an error if the process is no longer running.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return errors.New(p.name + " exited: " + p.stderr.String())
	default:
		return nil
	}
}

// startPinned starts cmd and waits for it on one goroutine locked to its OS
// thread, closing done when it exits. Linux sends Pdeathsig when the
// *thread* that forked the child exits, not the process: started from an
// ordinary goroutine, the emulator could be SIGKILLed mid-test whenever the
// Go runtime retired that thread (seen in the soak, which runs for
// minutes). The locked goroutine keeps the thread until the child is gone.
func startPinned(cmd *exec.Cmd, done chan struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(done)
	}()
	return <-started
}
