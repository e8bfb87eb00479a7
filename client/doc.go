// Package client is the operator's side of a deployment: what `batchinfer
// submit`, `results`, `watch` and the demo run against the queue, the
// bucket and the results table — building and checking job messages as the
// worker will decode them (submit.go, submitlines.go), uploading files
// (files.go), following jobs until they finish (follow.go, wait.go) and
// reading a finished job's whole output (fulloutput.go). The deployed
// function never imports it.
package client
