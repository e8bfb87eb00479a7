package testenv

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestBufferConcurrentWriters(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "w%d-%d\n", i, j)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	if got := b.Tail(1); !strings.HasPrefix(got, "w") || strings.Contains(got, "\n") {
		t.Errorf("Tail(1) = %q", got)
	}
}

func TestBufferCapAndTail(t *testing.T) {
	tests := []struct { // tail2 is Tail(2)
		cap         int
		writes      []string
		want, tail2 string
	}{
		{0, []string{"a\n", "b\n", "c\n"}, "a\nb\nc\n", "b\nc"},
		{3, []string{"ab", "cd", "ef"}, "abc", "abc"},
		{4, []string{"a\nb\n", "c\n"}, "a\nb\n", "a\nb"},
	}
	for _, tt := range tests {
		b := Buffer{Cap: tt.cap}
		for _, w := range tt.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write(%q) = %d, %v; want all accepted", w, n, err)
			}
		}
		if b.String() != tt.want || b.Tail(2) != tt.tail2 {
			t.Errorf("cap %d, writes %q: %q, tail %q; want %q, tail %q", tt.cap, tt.writes, b.String(), b.Tail(2), tt.want, tt.tail2)
		}
	}
}
