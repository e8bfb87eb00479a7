package pinned

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestWaitReturnsTheExitStatus(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := p.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Wait = %v, want exit status 3", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done is open after Wait returned")
	}
}

func TestStartSetsPdeathsigAndKeepsTheRest(t *testing.T) {
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if a := cmd.SysProcAttr; a.Pdeathsig != syscall.SIGKILL || !a.Setpgid {
		t.Fatalf("SysProcAttr = %+v, want Pdeathsig SIGKILL and Setpgid kept", a)
	}
}

func TestStartFailure(t *testing.T) {
	if _, err := Start(exec.Command("/nonexistent/binary")); err == nil {
		t.Fatal("Start of a missing binary succeeded")
	}
}

func TestStopTermsThenKills(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		signal syscall.Signal
	}{
		{"ends on SIGTERM", "exec sleep 60", syscall.SIGTERM},
		{"ignores SIGTERM", "trap '' TERM; while :; do sleep 0.05; done", syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(exec.Command("sh", "-c", tc.script))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // let sh install its trap
			p.Stop(200 * time.Millisecond)
			var exit *exec.ExitError
			if err := p.Wait(); !errors.As(err, &exit) {
				t.Fatalf("Wait after Stop = %v, want a signalled exit", err)
			}
			if ws := exit.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != tc.signal {
				t.Fatalf("child ended with %v, want killed by %v", ws, tc.signal)
			}
			p.Stop(time.Second) // already gone: returns at once
		})
	}
}
