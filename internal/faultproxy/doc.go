// Package faultproxy is an HTTP reverse proxy for tests and benchmarks that
// sits between AWS SDK clients and a local emulator, on 127.0.0.1. It tells
// the services apart by request (DynamoDB, SQS, S3), adds per-service
// latency, and injects the faults each service really returns, shaped so
// the SDK parses them as it parses AWS: 500 internal errors and throttling
// (DynamoDB ThrottlingException, SQS RequestThrottled, S3 SlowDown).
//
// A fault normally happens before forwarding, so the emulator never sees a
// call the client thinks failed. FailAfterForward injects the nastier case:
// the call reached the emulator and took effect, and the client still sees
// a failure, as when a response is lost.
package faultproxy
