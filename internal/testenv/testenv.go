// Package testenv finds what `go tool task setup` prepared under .cache/ so
// tests in every package locate the ONNX Runtime library and the models the
// same way. A missing file fails the test with the command that fixes it:
// these tests are part of the product, they never skip.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the folder holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// CacheDir is .cache/ under the repository root.
func CacheDir() string { return filepath.Join(RepoRoot(), ".cache") }

// DefaultORTLib is where setup puts the ONNX Runtime library for this arch.
func DefaultORTLib() string {
	return filepath.Join(CacheDir(), "ort", "linux-"+runtime.GOARCH, "libonnxruntime.so.1")
}

// ORTLibPath is $ONNXRUNTIME_LIB or the library setup prepared, for a
// TestMain that has no testing.TB; InitRuntime names it if it is missing.
func ORTLibPath() string {
	if p := os.Getenv("ONNXRUNTIME_LIB"); p != "" {
		return p
	}
	return DefaultORTLib()
}

// ORTLib returns ORTLibPath, failing the test if it does not exist.
func ORTLib(t testing.TB) string {
	t.Helper()
	p := ORTLibPath()
	mustExist(t, p)
	return p
}

// ModelDir returns .cache/models/NAME (ppocr-rec, ppocr-cls, iris-rf).
func ModelDir(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(CacheDir(), "models", name)
	mustExist(t, filepath.Join(p, "manifest.json"))
	return p
}

// Tool returns a binary setup installed into .cache/bin.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(CacheDir(), "bin", name)
	mustExist(t, p)
	return p
}

// NodeModule returns .cache/node/node_modules/NAME.
func NodeModule(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(CacheDir(), "node", "node_modules", name)
	mustExist(t, p)
	return p
}

func mustExist(t testing.TB, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing (%v): run `go tool task setup` first", p, err)
	}
}
