package testenv

import (
	"sync"
	"testing"
)

// Shared returns the getter of a fixture that is costly to make and that
// several tests read (a parsed spec, a compiled schema, a loaded model, a
// built binary): load runs once per test binary, on the first call, and
// every test gets the same value. A failed load fails each test that asks,
// with what it was loading.
func Shared[T any](what string, load func() (T, error)) func(testing.TB) T {
	get := sync.OnceValues(load)
	return func(t testing.TB) T {
		t.Helper()
		v, err := get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}
