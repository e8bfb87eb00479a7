package model

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// FindLibrary's order, with files made in temporary places: ONNXRUNTIME_LIB
// wins (and must exist), then next to the executable, then (no /opt/lib
// here) .cache/ort/linux-ARCH/ under the working directory, then the
// loader's name. The binary's own lookup is in e2e/ortlookup_test.go.
func TestFindLibraryOrder(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/opt/lib/" + LibraryName); err == nil {
		t.Fatalf("/opt/lib/%s exists on this machine: it would shadow the working-directory case", LibraryName)
	}
	wd := t.TempDir()
	t.Chdir(wd)
	inWD := filepath.Join(wd, ".cache", "ort", "linux-"+runtime.GOARCH, LibraryName)
	besideExe := filepath.Join(filepath.Dir(exe), LibraryName)
	explicit := filepath.Join(t.TempDir(), "custom.so")
	touch(t, explicit)

	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "ONNXRUNTIME_LIB" {
				return v
			}
			return ""
		}
	}
	check := func(name, lib, want string) {
		t.Helper()
		got, err := FindLibrary(env(lib))
		if err != nil || got != want {
			t.Errorf("%s: FindLibrary = %q, %v; want %q", name, got, err, want)
		}
	}
	check("nothing anywhere", "", LibraryName)
	touch(t, inWD)
	check("working directory", "", inWD)
	touch(t, besideExe)
	t.Cleanup(func() { os.Remove(besideExe) })
	check("next to the executable first", "", besideExe)
	check("ONNXRUNTIME_LIB wins", explicit, explicit)

	_, err = FindLibrary(env("/no/such/lib.so"))
	if err == nil || !strings.Contains(err.Error(), "ONNXRUNTIME_LIB=/no/such/lib.so") || !strings.Contains(err.Error(), besideExe) {
		t.Errorf("a missing ONNXRUNTIME_LIB: %v; want an error naming it and the places searched", err)
	}
}

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
