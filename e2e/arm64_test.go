//go:build arm64e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// TestArm64Bootstrap runs the arm64 bootstrap as the Lambda function: RIE
// (x86_64) starts it through qemu-user, the ESM feeds it 40 inline iris
// jobs in batches of 20, and every job must end SUCCEEDED once with a
// right output, computed by the arm64 ONNX Runtime that the zip layer and
// the image ship. (OCR runs in the model tests under qemu; through RIE
// its jobs were retried into crash isolation, whose child process qemu-user
// cannot start: docs/deploy.md, arm64.) `go tool task test:arm64` cross-builds the bootstrap and
// names it in BATCHINFER_ARM64_BOOTSTRAP (and its copy of the arm64 ORT in
// BATCHINFER_ARM64_ORT); the build tag keeps this test out
// of the ordinary suite, which has no cross compiler.
func TestArm64Bootstrap(t *testing.T) {
	boot := os.Getenv("BATCHINFER_ARM64_BOOTSTRAP")
	if boot == "" {
		t.Fatal("BATCHINFER_ARM64_BOOTSTRAP is not set: run `go tool task test:arm64`")
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Fatalf("qemu-user-static: %v (`go tool task test:arm64` installs it)", err)
	}
	sysroot := "/usr/aarch64-linux-gnu" // libc6-arm64-cross: the loader and libc the bootstrap links
	wrapper := filepath.Join(t.TempDir(), "bootstrap")
	script := fmt.Sprintf("#!/bin/sh\nexec %s -L %s %s \"$@\"\n", qemu, sysroot, boot)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ort := os.Getenv("BATCHINFER_ARM64_ORT") // the task's private copy
	if ort == "" {
		ort = filepath.Join(testenv.CacheDir(), "ort", "linux-arm64", "libonnxruntime.so.1")
	}
	s := newSystem(t, sysOptions{
		Binary: wrapper, Env: []string{"ONNXRUNTIME_LIB=" + ort},
		Models: []string{"iris-rf"}, Timeout: 3 * time.Minute, BatchSize: 20,
	})
	ids, bodies := irisJobs("arm64", 40)
	start := time.Now()
	s.send(bodies...)
	recs := s.waitFinal(ids, 8*time.Minute)
	t.Logf("%d jobs final after %s under qemu", len(ids), time.Since(start).Round(time.Millisecond))

	// The function really was the arm64 binary: RIE's child is qemu.
	exe := ""
	for _, pid := range s.rie.HandlerPIDs() {
		if p, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
			exe += p + " "
		}
	}
	if !strings.Contains(exe, "qemu-aarch64") {
		t.Errorf("the function ran as %q, want qemu-aarch64 running the arm64 bootstrap", exe)
	}
	for _, id := range ids {
		s.checkIris(id, recs[id])
	}
	s.checkOncePerJob(ids, recs, 1)
}
