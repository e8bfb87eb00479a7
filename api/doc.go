// Package api is the HTTP front door that `batchinfer api` serves: the
// same routes, validation and answers as the stack's API Gateway REST API
// (docs/api.yaml describes both), so a client written against one works
// against the other.
//
//	POST /v1/jobs            an inline job → the jobs queue, 202 {"job_id", "status": "QUEUED"}
//	GET  /v1/jobs/{job_id}   the job's item, 200, or 404
//	POST /v1/uploads         a presigned PUT URL into the inbox, for inputs too large for a body
//
// Errors are answered as API Gateway words them: 403 {"message":"Forbidden"}
// without a valid x-api-key, 413 over 256 KiB, 429 over the key's rate,
// 400 with the validation error. The handlers hold no worker logic: a job
// is checked by the worker's own decoder (jobs.DecodeMessage) and sent on.
package api
