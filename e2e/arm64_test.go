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
// (x86_64) starts it through qemu-user, the ESM feeds it inline iris jobs
// and S3-notified text lines, and every job must end SUCCEEDED with the
// right output, computed by the arm64 ONNX Runtime that the zip layer and
// the image ship. `go tool task test:arm64` cross-builds the bootstrap and
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
		Timeout: 3 * time.Minute, BatchSize: 20, // default models: ppocr-rec (S3 notifications), iris-rf
	})
	objs := s.uploadLines(8, 11)
	irisIDs, bodies := irisJobs("arm64", 20)
	ids := append([]string{}, irisIDs...)
	for _, o := range objs {
		bodies = append(bodies, notification(s.spec.InputBucket, o))
		ids = append(ids, o.JobID)
	}
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
	for _, id := range irisIDs {
		s.checkIris(id, recs[id])
	}
	correct := 0
	for _, o := range objs {
		if got := s.ocrText(o, recs[o.JobID]); got == o.Text {
			correct++
		} else {
			t.Logf("OCR %q: got %q", o.Text, got)
		}
	}
	if correct < len(objs)-1 {
		t.Errorf("OCR on arm64 matched %d of %d rendered lines, want all but at most one", correct, len(objs))
	}
	s.checkOncePerJob(ids, recs, 1)
}
