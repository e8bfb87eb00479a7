package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// The binary finds ONNX Runtime with no ONNXRUNTIME_LIB: next to itself,
// then .cache/ort/linux-ARCH/ under the working directory; with none, the
// error lists every place tried; ONNXRUNTIME_LIB, when set, wins.
func TestBinaryFindsONNXRuntime(t *testing.T) {
	lib, iris := testenv.ORTLib(t), testenv.ModelDir(t, "iris-rf")
	exeDir := t.TempDir()
	exe := filepath.Join(exeDir, "batchinfer")
	copyFile(t, binary, exe)
	emptyWD, cacheWD := t.TempDir(), t.TempDir()
	wdLib := filepath.Join(cacheWD, ".cache", "ort", "linux-"+runtime.GOARCH, "libonnxruntime.so.1")
	if err := os.MkdirAll(filepath.Dir(wdLib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(lib, wdLib); err != nil {
		t.Fatal(err)
	}
	predict := func(wd string, env ...string) (string, error) {
		cmd := exec.Command(exe, "predict", "--model", iris, "-")
		cmd.Dir = wd
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "ONNXRUNTIME_LIB=") && !strings.HasPrefix(kv, "LD_LIBRARY_PATH=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
		cmd.Stdin = strings.NewReader(`{"features": [5.1, 3.5, 1.4, 0.2]}` + "\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := predict(emptyWD)
	if err == nil {
		t.Fatalf("no library anywhere, yet predict ran: %s", out)
	}
	for _, place := range []string{filepath.Join(exeDir, "libonnxruntime.so.1"), "/opt/lib/libonnxruntime.so.1",
		filepath.Join(emptyWD, ".cache/ort/linux-"+runtime.GOARCH, "libonnxruntime.so.1"), "nor by the loader"} {
		if !strings.Contains(out, place) {
			t.Errorf("the error does not name %s:\n%s", place, out)
		}
	}
	if out, err := predict(cacheWD); err != nil || !strings.Contains(out, `"label"`) {
		t.Errorf("with .cache/ort under the working directory: %v\n%s", err, out)
	}
	if err := os.Symlink(lib, filepath.Join(exeDir, "libonnxruntime.so.1")); err != nil {
		t.Fatal(err)
	}
	if out, err := predict(emptyWD); err != nil || !strings.Contains(out, `"label"`) {
		t.Errorf("with the library next to the executable: %v\n%s", err, out)
	}
	if out, err := predict(cacheWD, "ONNXRUNTIME_LIB=/no/such/libonnxruntime.so"); err == nil || !strings.Contains(out, "ONNXRUNTIME_LIB=/no/such/libonnxruntime.so") {
		t.Errorf("ONNXRUNTIME_LIB must win over the places found: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
