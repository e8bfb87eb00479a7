// Package store holds batchinfer's adapters to AWS: job inputs from S3
// (Inputs), full outputs to S3 (Outputs), the DynamoDB results table that
// is also the idempotency record (Results), the dead-letter queue
// (DeadLetters), the resources a local system needs (Provision), a log
// group's events (LogEvents), and the count of every AWS request the
// clients make, in the units each service bills (CountRequests).
//
// It holds no business rules: which buckets are allowed, when to retry and
// what to do with an outcome are the worker's decisions. What it does own
// is turning AWS SDK errors into the jobs error taxonomy (Classify) so the
// worker can decide on codes alone.
//
// Endpoints come only from the SDK's own variables (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_SQS, _S3, _DYNAMODB), so the same binary talks to AWS or
// to the local emulators without flags.
package store
