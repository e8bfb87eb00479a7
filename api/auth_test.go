package api

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-secret"))
	keys, err := ParseKeys(" plain-one , sha256:" + hex.EncodeToString(sum[:]) + ",,")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want int
		ok   bool
	}{
		{"plain-one", 0, true},
		{"hashed-secret", 1, true},
		{"sha256:" + hex.EncodeToString(sum[:]), -1, false}, // the hash itself is not a key
		{"plain-on", -1, false},
		{"", -1, false},
	} {
		got, ok := keys.Match(tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Match(%q) = %d, %v; want %d, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseKeysErrors(t *testing.T) {
	for _, in := range []string{"", " , ", "sha256:abc", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := ParseKeys(in); err == nil || !strings.Contains(err.Error(), "BATCHINFER_API_KEYS") {
			t.Errorf("ParseKeys(%q) = %v, want an error naming BATCHINFER_API_KEYS", in, err)
		}
	}
}
