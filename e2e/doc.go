// Package e2e holds the end-to-end tests of the Lambda worker (issue 3):
// the real batchinfer binary runs under the real Lambda runtime interface
// emulator, fed by local.ESM from fauxqs (SQS and S3) with results in
// dynalite (DynamoDB), exactly as `go tool task demo` wires it. Each test
// provisions its own buckets, queues and table and asserts outcomes: the
// result items, the dead-letter queue and the worker's own log lines.
package e2e
