package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// underTerminal runs the binary with a pseudo-terminal as its stdout and
// stderr and returns what the screen showed.
func underTerminal(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(emu.Environ(), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	_, copyErr := io.Copy(&screen, tty) // ends with EIO when the child closes the terminal
	var pathErr *os.PathError
	if copyErr != nil && !errors.As(copyErr, &pathErr) {
		t.Fatal(copyErr)
	}
	tty.Close()
	return screen.String(), cmd.Wait()
}

// `bench --sweep` shows a bar of its measurements on a terminal (it ran
// half a minute silently).
func TestBenchSweepShowsProgressOnATerminal(t *testing.T) {
	screen, err := underTerminal(t, []string{"ONNXRUNTIME_LIB=" + testenv.ORTLib(t)}, "bench", "--model", testenv.ModelDir(t, "iris-rf"),
		"--inputs", filepath.Join(testenv.CacheDir(), "samples", "iris-rf"), "--items", "32", "--rounds", "1", "--sweep", "--sizes", "1,8")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, screen)
	}
	for _, want := range []string{"measurements", "7/7", "100%", `"sweep"`} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen)
		}
	}
}
