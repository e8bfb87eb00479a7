package textimg

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var words = strings.Fields(`invoice total order shipping payment account balance
customer service number date amount received delivered pending refund credit
debit bank transfer report weekly monthly annual summary meeting room floor
street avenue north south east west city station platform ticket gate train
coffee bread apple orange milk water sugar paper table window garden river
Monday Friday January March July October London Paris Berlin Tokyo Madrid
Apple Google Amazon Model Batch Queue Lambda Result Status Error Item Line`)

// Corpus returns n varied text lines: words, numbers, prices like $12.50,
// dates like 2026-11-27, times, codes, punctuation and mixed case. The same
// n and seed give the same lines.
func Corpus(n int, seed int64) []string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x62617463))
	out := make([]string, n)
	for i := range out {
		out[i] = line(r, i)
	}
	return out
}

func word(r *rand.Rand) string {
	w := words[r.IntN(len(words))]
	switch r.IntN(6) {
	case 0:
		return strings.ToUpper(w[:1]) + w[1:]
	case 1:
		return strings.ToUpper(w)
	}
	return w
}

func line(r *rand.Rand, i int) string {
	switch i % 8 {
	case 0:
		return fmt.Sprintf("%s %s %d", word(r), word(r), r.IntN(10000))
	case 1:
		return fmt.Sprintf("Total: $%d.%02d", r.IntN(1000), r.IntN(100))
	case 2:
		return fmt.Sprintf("%04d-%02d-%02d %s", 2000+r.IntN(30), 1+r.IntN(12), 1+r.IntN(28), word(r))
	case 3:
		return fmt.Sprintf("%s, %s and %s.", word(r), word(r), word(r))
	case 4:
		return fmt.Sprintf("%02d:%02d %s %s", r.IntN(24), r.IntN(60), word(r), word(r))
	case 5:
		return fmt.Sprintf("ID %c%c-%d", 'A'+rune(r.IntN(26)), 'A'+rune(r.IntN(26)), 1000+r.IntN(9000))
	case 6:
		return fmt.Sprintf("%s %s: %d%%", word(r), word(r), r.IntN(100))
	default:
		return fmt.Sprintf("%s (%d) %s?", word(r), r.IntN(100), word(r))
	}
}
