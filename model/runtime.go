package model

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	runtimeOnce sync.Once
	runtimeErr  error
)

// InitRuntime loads the ONNX Runtime shared library and creates the
// process-wide environment. It runs once per process: later calls return the
// first call's result whatever path they pass, because ORT cannot be loaded
// twice. An empty libPath means the lookup of FindLibrary.
func InitRuntime(libPath string) error {
	runtimeOnce.Do(func() { runtimeErr = initRuntime(libPath) })
	return runtimeErr
}

func initRuntime(libPath string) error {
	if libPath == "" {
		var err error
		if libPath, err = FindLibrary(os.Getenv); err != nil {
			return err
		}
	}
	if libPath == LibraryName {
		// The loader's own search (LD_LIBRARY_PATH, ld.so.cache): the last
		// place FindLibrary names; only dlopen can tell if it is there.
		ort.SetSharedLibraryPath(libPath)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			return fmt.Errorf("init ONNX Runtime: %s not found in any of %s, nor by the loader (%v); set ONNXRUNTIME_LIB or run `go tool task setup`",
				LibraryName, strings.Join(libraryPlaces(), ", "), err)
		}
		return nil
	}
	if _, err := os.Stat(libPath); err != nil {
		what := "library " + libPath
		if libPath == os.Getenv("ONNXRUNTIME_LIB") {
			what = "ONNXRUNTIME_LIB=" + libPath // it wins over the search: say so
		}
		return fmt.Errorf("init ONNX Runtime: %s: %w (unset ONNXRUNTIME_LIB to search, or run `go tool task setup`)", what, err)
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("init ONNX Runtime from %s: %w (is it a libonnxruntime for this OS/arch, version 1.24 or newer?)", libPath, err)
	}
	return nil
}

// LibraryName is the ONNX Runtime library's file name, and what the
// loader is asked for when no file is found.
const LibraryName = "libonnxruntime.so.1"

// FindLibrary finds the ONNX Runtime library without being told where:
// $ONNXRUNTIME_LIB when set (it wins, and must exist), else the first
// existing file of libraryPlaces — next to the executable, /opt/lib (where
// Lambda mounts layers), .cache/ort/linux-ARCH/ under the working
// directory — else LibraryName for the loader's own search path.
func FindLibrary(getenv func(string) string) (string, error) {
	if p := getenv("ONNXRUNTIME_LIB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("init ONNX Runtime: ONNXRUNTIME_LIB=%s: %w (unset it to search %s)", p, err, strings.Join(libraryPlaces(), ", "))
		}
		return p, nil
	}
	for _, p := range libraryPlaces() {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return LibraryName, nil
}

// libraryPlaces lists, in order, the files FindLibrary tries.
func libraryPlaces() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, "/opt/lib")
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, filepath.Join(wd, ".cache", "ort", "linux-"+runtime.GOARCH))
	}
	places := make([]string, len(dirs))
	for i, d := range dirs {
		places[i] = filepath.Join(d, LibraryName)
	}
	return places
}
