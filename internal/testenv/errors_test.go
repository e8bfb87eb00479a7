package testenv

import (
	"errors"
	"strings"
	"testing"
)

func TestWantError(t *testing.T) {
	boom := errors.New("parse BATCHINFER_X: boom")
	for _, tc := range []struct {
		name       string
		err        error
		want       string
		wanted     bool
		fatalNamed string // "" when the check passes
	}{
		{"no error, none wanted", nil, "", false, ""},
		{"the error wanted", boom, "BATCHINFER_X", true, ""},
		{"an error, none wanted", boom, "", false, "unexpected error: parse BATCHINFER_X: boom"},
		{"no error, one wanted", nil, "BATCHINFER_X", true, `error <nil>, want one containing "BATCHINFER_X"`},
		{"another error", boom, "BATCHINFER_Y", true, `want one containing "BATCHINFER_Y"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fatalRecorder{TB: t}
			if got := WantError(r, tc.err, tc.want); got != tc.wanted {
				t.Errorf("WantError = %v, want %v", got, tc.wanted)
			}
			switch {
			case tc.fatalNamed == "" && len(r.fatals) > 0:
				t.Errorf("failed the test: %q", r.fatals)
			case tc.fatalNamed != "" && (len(r.fatals) != 1 || !strings.Contains(r.fatals[0], tc.fatalNamed)):
				t.Errorf("fatals %q, want one containing %q", r.fatals, tc.fatalNamed)
			}
		})
	}
}
