// Package local plays, on one machine, the parts of AWS Lambda that the
// local emulators do not: it runs a function binary under the real Lambda
// runtime interface emulator (RIE) and plays Lambda's SQS event source
// mapping (ESM) against any SQS endpoint, so `batchinfer local esm` and the
// end-to-end tests drive the real binary exactly as Lambda would.
//
// The RIE runner and the ESM (rie.go, esm.go, event.go, response.go)
// depend only on the AWS SDK's SQS client and aws-lambda-go's event types:
// they know nothing of jobs, models or results. system.go and demo.go wire
// the whole local deployment on top of them and use store.
package local
