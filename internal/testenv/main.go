package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Step is one thing a package's TestMain prepares before its tests: build
// a binary, start the emulators (emulators.Step), load models
// (modelenv.Load). Run returns how to undo it, or nil.
type Step struct {
	Name string // what the step does, for the error that stops the run
	Run  func() (undo func(), err error)
}

// Main runs steps in order, then the tests, then undoes the steps in
// reverse, and exits with the tests' status. A failing step is reported
// by name and exits 1 before any test runs.
func Main(m *testing.M, steps ...Step) {
	os.Exit(run(m, steps))
}

func run(m *testing.M, steps []Step) int {
	undo, err := prepare(steps)
	defer undo()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// prepare runs steps in order until one fails. undo undoes those that ran,
// in reverse; err names the step that failed.
func prepare(steps []Step) (undo func(), err error) {
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	for _, s := range steps {
		u, err := s.Run()
		if err != nil {
			return undo, fmt.Errorf("%s: %w", s.Name, err)
		}
		if u != nil {
			undos = append(undos, u)
		}
	}
	return undo, nil
}
