// Package model owns ONNX Runtime for batchinfer: the process-wide
// environment, one session per model folder, the model manifest, and the
// codecs that turn input bytes into tensor rows (Preprocess) and output rows
// into JSON-ready results (Postprocess).
//
// It knows nothing about queues, tables or batching policy: callers stack
// rows into a batch (padding dynamic dims with PadValue up to PadMultiple),
// call Run once per batch and split the outputs back per row.
package model

import (
	"fmt"
	"os"
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
// twice. An empty libPath means $ONNXRUNTIME_LIB.
func InitRuntime(libPath string) error {
	runtimeOnce.Do(func() { runtimeErr = initRuntime(libPath) })
	return runtimeErr
}

func initRuntime(libPath string) error {
	if libPath == "" {
		libPath = os.Getenv("ONNXRUNTIME_LIB")
	}
	if libPath == "" {
		return fmt.Errorf("init ONNX Runtime: no library path: set ONNXRUNTIME_LIB to libonnxruntime.so.1 (`go tool task setup` puts one under .cache/ort/)")
	}
	if _, err := os.Stat(libPath); err != nil {
		return fmt.Errorf("init ONNX Runtime: library %s: %w (set ONNXRUNTIME_LIB or run `go tool task setup`)", libPath, err)
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("init ONNX Runtime from %s: %w (is it a libonnxruntime for this OS/arch, version 1.24 or newer?)", libPath, err)
	}
	return nil
}

// RuntimeVersion is the loaded ONNX Runtime's version (e.g. "1.24.3"), or ""
// before InitRuntime succeeded.
func RuntimeVersion() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
