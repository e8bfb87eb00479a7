package testenv

import (
	"strings"
	"testing"
)

// WantError checks err against a table case that wants an error whose
// text contains want, or none when want is "", and fails t otherwise. It
// reports whether the case wanted an error: such a case ends there.
func WantError(t testing.TB, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	return want != ""
}
