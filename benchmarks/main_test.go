package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/model"
)

// One pair of emulators and one set of loaded models serve the package;
// every test and benchmark provisions its own buckets and tables.
var (
	emu *emulators.Env
	// served is what both handlers serve, in the same order: ppocr-rec
	// first, so S3 notifications (which name no model) go to OCR.
	served []*model.Model
	iris   *model.Model
	ocr    *model.Model
	// cleanups run when the package's tests and benchmarks are done.
	cleanups []func()
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		if emu, err = emulators.Launch(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err, "(run `go tool task setup`)")
			return 1
		}
		defer emu.Stop()
		defer func() {
			for _, c := range cleanups {
				c()
			}
		}()
		lib := testenv.ORTLibPath()
		if err := model.InitRuntime(lib); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, name := range []string{"ppocr-rec", "iris-rf"} {
			// IntraOpThreads 0: the CPUs the process has, as the worker
			// runs by default; both handlers share these sessions.
			mdl, err := model.Load(filepath.Join(testenv.CacheDir(), "models", name), model.Options{})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer mdl.Close()
			served = append(served, mdl)
		}
		ocr, iris = served[0], served[1]
		return m.Run()
	}())
}
