// Package modelenv starts ONNX Runtime and loads the models setup cached,
// for the TestMain of packages that run real models beside other things
// (worker, benchmarks). It is apart from testenv because package model's
// own tests use testenv, which therefore cannot import model.
package modelenv

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/model"
)

// Load is the testenv.Step that starts ONNX Runtime (testenv.ORTLibPath)
// and loads each named model from .cache/models with opts, appending them
// to dst in order; they are closed once the package's tests are done.
func Load(dst *[]*model.Model, opts model.Options, names ...string) testenv.Step {
	return testenv.Step{Name: "load models", Run: func() (func(), error) {
		loaded, err := Open(opts, names...)
		if err != nil {
			return nil, err
		}
		*dst = append(*dst, loaded...)
		return func() { closeAll(loaded) }, nil
	}}
}

// Shared is the getter of the named models, loaded once per test binary
// with one intra-op thread each (testenv.Shared): for tests that need a
// model their package's TestMain does not load.
func Shared(names ...string) func(testing.TB) []*model.Model {
	return testenv.Shared("load "+strings.Join(names, ", "), func() ([]*model.Model, error) {
		return Open(model.Options{IntraOpThreads: 1}, names...)
	})
}

// Open starts ONNX Runtime and loads each named model from .cache/models
// with opts, in order; on an error none stays open.
func Open(opts model.Options, names ...string) ([]*model.Model, error) {
	if err := model.InitRuntime(testenv.ORTLibPath()); err != nil {
		return nil, err
	}
	var loaded []*model.Model
	for _, name := range names {
		m, err := model.Load(filepath.Join(testenv.CacheDir(), "models", name), opts)
		if err != nil {
			closeAll(loaded)
			return nil, fmt.Errorf("%w (run `go tool task setup` if %s is missing)", err, name)
		}
		loaded = append(loaded, m)
	}
	return loaded, nil
}

func closeAll(ms []*model.Model) {
	for _, m := range ms {
		m.Close()
	}
}
