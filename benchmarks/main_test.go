package benchmarks

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
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
	testenv.Main(m, emulators.Step(&emu),
		// IntraOpThreads 0: the CPUs the process has, as the worker runs
		// by default; both handlers share these sessions.
		modelenv.Load(&served, model.Options{}, "ppocr-rec", "iris-rf"),
		testenv.Step{Name: "name the models", Run: func() (func(), error) {
			ocr, iris = served[0], served[1]
			return func() {
				for _, c := range cleanups {
					c()
				}
			}, nil
		}},
	)
}
