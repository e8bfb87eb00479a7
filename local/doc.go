// Package local plays, on one machine, the parts of AWS Lambda that the
// local emulators do not: it runs a function binary under the real Lambda
// runtime interface emulator (RIE) and plays Lambda's SQS event source
// mapping (ESM) against any SQS endpoint, so `batchinfer local esm` and the
// end-to-end tests drive the real binary exactly as Lambda would.
//
// The RIE runner (rie.go, proc_linux.go) depends only on pinned, which
// starts RIE as a child that dies with this process; the response judge
// (response.go) depends on nothing of ours. The ESM (esm.go, event.go)
// receives and deletes through store.Queue and builds each record with
// store.LambdaRecord: the same receive-within-a-window and the same event
// shape as the worker's poll mode, so the two cannot drift apart. None of
// them knows jobs, models or results. system.go and demo.go wire the
// whole local deployment on top of them and use store for the rest.
package local
