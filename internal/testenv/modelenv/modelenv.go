// Package modelenv starts ONNX Runtime and loads the models setup cached,
// for the TestMain of packages that run real models beside other things
// (worker, benchmarks). It is apart from testenv because package model's
// own tests use testenv, which therefore cannot import model.
package modelenv

import (
	"fmt"
	"path/filepath"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/model"
)

// Load is the testenv.Step that starts ONNX Runtime (testenv.ORTLibPath)
// and loads each named model from .cache/models with opts, appending them
// to dst in order; they are closed once the package's tests are done.
func Load(dst *[]*model.Model, opts model.Options, names ...string) testenv.Step {
	return testenv.Step{Name: "load models", Run: func() (func(), error) {
		if err := model.InitRuntime(testenv.ORTLibPath()); err != nil {
			return nil, err
		}
		var loaded []*model.Model
		closeAll := func() {
			for _, m := range loaded {
				m.Close()
			}
		}
		for _, name := range names {
			m, err := model.Load(filepath.Join(testenv.CacheDir(), "models", name), opts)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("%w (run `go tool task setup` if %s is missing)", err, name)
			}
			loaded = append(loaded, m)
		}
		*dst = append(*dst, loaded...)
		return closeAll, nil
	}}
}
