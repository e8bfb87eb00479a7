// Package pinned starts child processes that die with this one, and stay
// alive as long as it does.
//
// A child is started with Pdeathsig SIGKILL, so it does not outlive a
// parent killed without running its cleanups. But Linux sends Pdeathsig
// when the *thread* that forked the child exits, not the process: a child
// forked from an ordinary goroutine can be SIGKILLed whenever the Go
// runtime retires that thread (dynalite was, mid-soak, in 2 of 3 runs).
// Start forks from a goroutine locked to its OS thread and holds that
// thread until the child is gone, which makes Pdeathsig mean "when this
// process dies".
package pinned

import (
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Process is a child started by Start.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's result, set before done is closed
}

// Start starts cmd with Pdeathsig SIGKILL (other SysProcAttr fields are
// kept) and waits for it on one goroutine locked to its OS thread.
//
// cmd.Wait runs as soon as the child has started, and closes an exec.Cmd
// pipe (StdoutPipe and the like) once the child exits, perhaps before it
// was read: to read all a child writes, give it a writer (cmd.Stdout).
func Start(cmd *exec.Cmd) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	p := &Process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the child to exit and returns what exec.Cmd.Wait did.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Stop asks the child to end (SIGTERM), kills it if it is still running
// after grace, and waits for it to exit. A child already gone is left be.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
