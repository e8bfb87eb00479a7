package api

import "testing"

func TestLimitersPerKey(t *testing.T) {
	l := newLimiters(0.001, 2) // a token every 1000 s: only the burst passes
	for i, want := range []bool{true, true, false} {
		if got := l.allow(0); got != want {
			t.Errorf("key 0 request %d: allow = %v, want %v", i+1, got, want)
		}
	}
	if !l.allow(1) {
		t.Error("key 1 was limited by key 0's requests")
	}
	var none *limiters = newLimiters(0, 0)
	for range 100 {
		if !none.allow(0) {
			t.Fatal("rate 0 must not limit")
		}
	}
}
