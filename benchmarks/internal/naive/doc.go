// Package naive is the baseline the worker is benchmarked against: the
// Lambda handler a tutorial writes. It walks the records of an invocation
// one by one and, for each job, fetches the input, runs the model at batch
// size 1, and writes the result, every call waiting for the previous one.
// It has no idempotency claim, no retries and no concurrency, on purpose:
// it exists only so benchmarks/ can measure what the worker's batching and
// concurrent I/O buy. Do not use it to serve jobs.
package naive
