// Package soak drives the local system (the real binary under the real
// runtime interface emulator, four instances, Lambda's event source mapping
// in front) through a fault storm and checks that every job still ends
// SUCCEEDED exactly once with the right result: TestSoak is the small run
// in `go tool task test`, BenchmarkSoak the full one (docs/benchmarks.md,
// "Soak").
package soak

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/model"
)

var (
	binary string
	emu    *emulators.Env
	// iris is the model loaded here, to compute each job's right answer.
	iris []*model.Model
)

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.LambdaBinary("./cmd/batchinfer", &binary), emulators.Step(&emu),
		modelenv.Load(&iris, model.Options{IntraOpThreads: 1}, "iris-rf"))
}
