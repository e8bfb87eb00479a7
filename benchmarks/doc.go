// Package benchmarks compares the worker end to end with the naive
// one-record-at-a-time handler (package naive) on the same events, models
// and emulators, with and without a per-call delay proxy standing in for
// in-region AWS latency, and measures the real binary's cold start under
// the Lambda runtime interface emulator. Everything is in its tests:
//
//	go test -run '^$' -bench . -benchtime 1x -count 3 ./benchmarks/
//
// docs/benchmarks.md records the figures.
package benchmarks
