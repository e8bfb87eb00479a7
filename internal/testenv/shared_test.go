package testenv

import (
	"errors"
	"fmt"
	"testing"
)

func TestSharedLoadsOnce(t *testing.T) {
	loads := 0
	get := Shared("the answer", func() (int, error) { loads++; return 42, nil })
	for range 3 {
		if v := get(t); v != 42 {
			t.Fatalf("get = %d, want 42", v)
		}
	}
	if loads != 1 {
		t.Fatalf("loaded %d times, want once", loads)
	}
}

// fatalRecorder is a testing.TB whose Fatalf only records.
type fatalRecorder struct {
	testing.TB
	fatals []string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func TestSharedFailsEveryCaller(t *testing.T) {
	loads := 0
	get := Shared("the schema", func() (int, error) { loads++; return 0, errors.New("no such file") })
	r := &fatalRecorder{TB: t}
	get(r)
	get(r)
	want := "the schema: no such file"
	if loads != 1 || len(r.fatals) != 2 || r.fatals[0] != want || r.fatals[1] != want {
		t.Fatalf("loads %d, fatals %q; want 1 load and two fatals %q", loads, r.fatals, want)
	}
}
