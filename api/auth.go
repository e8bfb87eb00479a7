package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/batchinfer/batchinfer/settings"
)

// HashedKeyPrefix marks a key given by its sha256 (hex), so the variable
// holding the keys need not hold the secrets themselves.
const HashedKeyPrefix = "sha256:"

// KeySet is the API keys a server accepts. Every key is kept as its
// sha256, so a plain and a hashed entry are checked the same way and in
// constant time.
type KeySet struct {
	sums [][sha256.Size]byte
}

// ParseKeys reads BATCHINFER_API_KEYS: comma-separated keys, each plain or
// sha256:HEX. At least one is required: a front door without keys would be
// open to anyone who can reach it.
func ParseKeys(s string) (KeySet, error) {
	var ks KeySet
	for i, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if hexSum, ok := strings.CutPrefix(k, HashedKeyPrefix); ok {
			b, err := hex.DecodeString(hexSum)
			if err != nil || len(b) != sha256.Size {
				return KeySet{}, fmt.Errorf("%s: entry %d: %s needs 64 hex digits (a sha256)", settings.APIKeys.Name, i+1, HashedKeyPrefix)
			}
			ks.sums = append(ks.sums, [sha256.Size]byte(b))
			continue
		}
		ks.sums = append(ks.sums, sha256.Sum256([]byte(k)))
	}
	if len(ks.sums) == 0 {
		return KeySet{}, fmt.Errorf("%s: no key given (comma-separated keys, or %sHEX of a key)", settings.APIKeys.Name, HashedKeyPrefix)
	}
	return ks, nil
}

// Match returns which entry key matches (its index, for per-key rate
// limits) and whether one does. Every entry is compared, so the time taken
// says nothing about which one matched.
func (ks KeySet) Match(key string) (int, bool) {
	if key == "" {
		return -1, false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range ks.sums {
		if subtle.ConstantTimeCompare(sum[:], ks.sums[i][:]) == 1 && found < 0 {
			found = i
		}
	}
	return found, found >= 0
}
