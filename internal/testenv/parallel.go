package testenv

import "sync"

// Parallel calls f(0) … f(n-1), at most limit of them at once, and
// returns when all have returned: how tests upload, send and read many
// things without a call per goroutine hammering the emulators.
func Parallel(n, limit int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(limit, 1))
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}
