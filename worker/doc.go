// Package worker is the pipeline that turns queue messages into stored
// results, and the two ways it is driven: the Lambda handler (Handle: SQS,
// direct S3, S3 Batch Operations events) and the poll loop (Poller, for
// ECS, EKS or any long-running box).
//
// Process plans one task per job (process.go), looks the jobs up and claims
// what needs a claim, fetches inputs, runs them through the inference
// engine (package engine, behind Predictor), writes each outcome
// (finish.go), streams record files in parts (recordfile.go), publishes
// completions (notify.go), runs crash suspects apart (suspects.go), and
// reports which messages to retry (retry.go). It reaches AWS only through
// the interfaces of ports.go, which package store implements; it imports
// no AWS SDK package. The operator's side (submit, follow, full outputs)
// is package client; reprocessing is package reprocess.
package worker
