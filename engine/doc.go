// Package engine is the inference core for a set of loaded models: decode
// and preprocess each input into tensor rows, pack them (batching) into as
// few ONNX Runtime runs as the limits allow, bisect a failing run down to
// its poison row, and postprocess each row's slice of the outputs; a
// pipeline model's stages each pack the rows of all its items together
// (stages.go). It also holds crash isolation (isolate.go: suspects run in a
// child process, bisected until the crasher is alone) and the throughput
// measurement behind `batchinfer bench` (bench.go).
//
// The Lambda handler and the poll loop (package worker), `predict`, `bench`
// and `isolate` all run inputs through Engine, so all of them batch the
// same way. It imports no AWS SDK package and not package store
// (deps_test.go checks it): the commands that only infer link no AWS client.
package engine
