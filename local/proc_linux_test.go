package local

import "testing"

// Side-by-side RIEs take their ports from freePort: the kernel offers a
// port again once its probe listener closes, so without the process's own
// record two of 2,000 calls almost surely collide (the ephemeral range is
// about 28,000 ports).
func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 2000 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}
