package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

var (
	// binary is cmd/batchinfer built once for the package, as the Lambda
	// bootstrap is built: -tags lambda.norpc, cgo on (ONNX Runtime).
	binary string
	// emu is one fauxqs+dynalite pair; each test provisions its own
	// resources on it.
	emu *emulators.Env
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "batchinfer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "batchinfer")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", binary, "./cmd/batchinfer")
	build.Dir = testenv.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build cmd/batchinfer: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	emu, err = emulators.Launch(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v (run `go tool task setup`)\n", err)
		return 1
	}
	defer emu.Stop()
	return m.Run()
}
