package scan

import (
	"encoding/json"
	"testing"
)

// Number takes exactly what encoding/json takes as a number.
func TestNumberIsJSONs(t *testing.T) {
	for _, in := range []string{"0", "-0", "12", "-3.25", "1e9", "1E+2", "2.5e-3", "01", "1.", ".5", "+1", "-", "1e", "1e+", "0x1", "--1", "1.2.3", "", "NaN"} {
		s := Scanner{B: []byte(in)}
		got := s.Number() && s.AtEnd()
		var v float64
		want := json.Unmarshal([]byte(in), &v) == nil
		if got != want {
			t.Errorf("%q: Number took it %v, encoding/json %v", in, got, want)
		}
	}
}

func TestLitWordSpace(t *testing.T) {
	s := Scanner{B: []byte(" \t{ \"features\" :\n[ true ] ")}
	if !s.Lit('{') || !s.Lit('"') || !s.Word(`features"`) || !s.Lit(':') || !s.Lit('[') {
		t.Fatalf("stopped at %d", s.I)
	}
	if s.Word("truex") || !s.Lit('t') || s.Lit('x') || !s.Word("rue") || !s.Lit(']') || !s.AtEnd() {
		t.Fatalf("stopped at %d", s.I)
	}
	if (&Scanner{B: []byte("tru")}).Word("true") {
		t.Error("Word read past the end")
	}
}
