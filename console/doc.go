// Package console is the local web page of `batchinfer console`: jobs by
// status over time, the worker's throughput and latency from its own EMF
// lines, the dead-letter queue by error code, and each job's result drawn
// as a person reads it (OCR lines and detection boxes over the image,
// labels with their scores, a record file's counts, an embedding's
// dimension and norm). Pages are rendered on the server with html/template
// and need no script. It reads the same table, buckets and queues as the
// CLI, through the interfaces in server.go that store implements.
package console
