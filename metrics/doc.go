// Package metrics writes batchinfer's own CloudWatch metrics as Embedded
// Metric Format (EMF) documents: JSON lines on stdout that CloudWatch Logs
// turns into metrics, so the worker reports itself without a PutMetricData
// call (or the latency and IAM permission one would cost).
//
// The worker opens one Invocation per Lambda invocation (or per poll-mode
// batch), records what happened (jobs by outcome, error codes, batch fill,
// queue age, phase timings, cold start, AWS requests) and flushes it as one
// document per dimension set. The cost figures (GB-seconds, request cost,
// estimated cost, cost per 1k inferences) come from the price table in
// prices.go, overridable by environment.
//
// Parse, Validate and Summarize read the documents back: `batchinfer stats`
// and the end-to-end tests use them, so what is checked is what was written.
//
// No Go EMF library is served to this project (awslabs ships Java, .NET,
// Node and Python ones); the format is small and the package checks its own
// output against the specification's rules and JSON schema in its tests.
//
// It imports nothing of batchinfer's and calls no AWS API.
package metrics
