package api

import (
	"math"
	"sync"

	"golang.org/x/time/rate"
)

// limiters hold one token bucket per API key, as a usage plan throttles
// each key on its own (rate in requests per second, burst in requests).
type limiters struct {
	rate  rate.Limit
	burst int

	mu   sync.Mutex
	byID map[int]*rate.Limiter
}

// newLimiters returns nil for perSecond <= 0: no limit. burst <= 0 means
// the rate rounded up, at least 1.
func newLimiters(perSecond float64, burst int) *limiters {
	if perSecond <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	return &limiters{rate: rate.Limit(perSecond), burst: burst, byID: map[int]*rate.Limiter{}}
}

// allow takes a token from key's bucket.
func (l *limiters) allow(key int) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	lim, ok := l.byID[key]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.byID[key] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}
