package main

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// maxGLIBC is the glibc of the provided.al2023 Lambda runtime: the
// bootstrap and the ONNX Runtime library it loads must need nothing newer,
// or the function dies at start-up with "version `GLIBC_2.xx' not found".
var maxGLIBC = glibcVersion{2, 34}

// TestBootstrapGLIBC builds cmd/batchinfer as the Dockerfile builds the
// Lambda bootstrap (cgo on, -tags lambda.norpc, -s -w) and fails naming
// every dynamic symbol that needs a glibc newer than provided.al2023's.
// -trimpath is left out on purpose: it changes no dynamic import, and
// without it the build shares go's compile cache with `go test` and e2e,
// which keeps this test to a link step once the packages are built.
func TestBootstrapGLIBC(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	checkGLIBC(t, bin, true)
}

// TestORTLibraryGLIBC checks the ONNX Runtime libraries setup fetched for
// both Lambda architectures (debug/elf reads either on any host).
func TestORTLibraryGLIBC(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			lib := filepath.Join(testenv.CacheDir(), "ort", "linux-"+arch, "libonnxruntime.so.1")
			if _, err := os.Stat(lib); err != nil {
				t.Fatalf("%s is missing (%v): run `go tool task setup` first", lib, err)
			}
			checkGLIBC(t, lib, false)
		})
	}
}

// TestGLIBCTooNew makes sure the check can fail: versions are compared as
// numbers (2.4 < 2.34), and GLIBC_PRIVATE, which no release promises to
// keep, counts as too new.
func TestGLIBCTooNew(t *testing.T) {
	tests := []struct {
		version string
		tooNew  bool
	}{
		{"GLIBC_2.2.5", false},
		{"GLIBC_2.4", false},
		{"GLIBC_2.17", false},
		{"GLIBC_2.34", false},
		{"GLIBC_2.35", true},
		{"GLIBC_2.38", true},
		{"GLIBC_3.0", true},
		{"GLIBC_PRIVATE", true},
	}
	for _, tt := range tests {
		if got := glibcTooNew(tt.version); got != tt.tooNew {
			t.Errorf("glibcTooNew(%q) = %v, want %v", tt.version, got, tt.tooNew)
		}
	}
}

// checkGLIBC fails t naming each symbol of the ELF file at path that needs a
// glibc newer than maxGLIBC, and each such version the loader would demand
// (the version-needs section) even if no symbol names it. wantGLIBC says
// the file must need glibc at all: a bootstrap without any would mean cgo
// was off and the check proved nothing.
func checkGLIBC(t *testing.T, path string, wantGLIBC bool) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()

	needs, err := f.DynamicVersionNeeds()
	if err != nil {
		t.Fatalf("read version needs of %s: %v", path, err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatalf("read dynamic symbols of %s: %v", path, err)
	}

	var tooNew []string
	named := map[string]bool{} // versions some symbol already reported
	highest := glibcVersion{}
	for _, s := range syms {
		if !strings.HasPrefix(s.Version, "GLIBC_") {
			continue
		}
		if v, ok := parseGLIBC(s.Version); ok && highest.less(v) {
			highest = v
		}
		if glibcTooNew(s.Version) {
			tooNew = append(tooNew, fmt.Sprintf("%s@%s (%s)", s.Name, s.Version, s.Library))
			named[s.Version] = true
		}
	}
	seen := false
	for _, n := range needs {
		for _, d := range n.Needs {
			if !strings.HasPrefix(d.Dep, "GLIBC_") {
				continue
			}
			seen = true
			if glibcTooNew(d.Dep) && !named[d.Dep] {
				tooNew = append(tooNew, fmt.Sprintf("version need %s of %s", d.Dep, n.Name))
			}
		}
	}
	if wantGLIBC && !seen {
		t.Fatalf("%s needs no GLIBC version: was it built without cgo?", path)
	}
	sort.Strings(tooNew)
	if len(tooNew) > 0 {
		t.Errorf("%s needs glibc newer than %s (provided.al2023):\n  %s",
			path, maxGLIBC, strings.Join(tooNew, "\n  "))
	}
	t.Logf("%s: highest GLIBC needed %s", filepath.Base(path), highest)
}

// glibcVersion is a dotted glibc version as numbers, e.g. 2.2.5.
type glibcVersion []int

func (v glibcVersion) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return "GLIBC_" + strings.Join(parts, ".")
}

// less compares numerically, a missing part counting as 0.
func (v glibcVersion) less(w glibcVersion) bool {
	for i := 0; i < max(len(v), len(w)); i++ {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return a < b
		}
	}
	return false
}

// parseGLIBC reads "GLIBC_2.2.5"; ok is false for names like GLIBC_PRIVATE.
func parseGLIBC(name string) (glibcVersion, bool) {
	rest, found := strings.CutPrefix(name, "GLIBC_")
	if !found {
		return nil, false
	}
	var v glibcVersion
	for _, p := range strings.Split(rest, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

// glibcTooNew reports whether a GLIBC_ version name is beyond maxGLIBC;
// anything unparsable (GLIBC_PRIVATE) is, since no release promises it.
func glibcTooNew(name string) bool {
	v, ok := parseGLIBC(name)
	return !ok || maxGLIBC.less(v)
}
