// Package jobs turns what arrives at batchinfer (Lambda events, SQS message
// bodies) into Jobs, derives their ids and payload hashes, and holds the
// error taxonomy (errors.go). It calls neither AWS nor ONNX Runtime.
//
// # Lambda events
//
// DecodeInvocation accepts an SQS event (Records with eventSource "aws:sqs"),
// a direct S3 event invoke (Records with eventSource "aws:s3") or an S3
// Batch Operations invoke (below). Each record or task is decoded on its
// own: a bad one becomes a Message with a permanent Err (and BodyHash, the
// hex sha256 of its body) and never affects its neighbours. Any other event
// (API Gateway, a direct SNS invoke, ...) is a malformed_job error.
//
// An S3 Batch Operations "Invoke AWS Lambda function" event, invocation
// schema 2.0 (schema 1.0 names the bucket by "s3BucketArn" instead, and has
// no userArguments):
//
//	{"invocationSchemaVersion": "2.0", "invocationId": "YXNk...",
//	 "job": {"id": "f3cc4f60-...", "userArguments": {"k1": "v1"}},
//	 "tasks": [{"taskId": "dGFz...", "s3Key": "my+scan.png",
//	            "s3VersionId": "jbo9..." or null, "s3Bucket": "inbox"}]}
//
// Each task becomes a Message (MessageID the taskId, Body the task's JSON)
// holding one object job, exactly as an S3 notification's: the key is
// URL-decoded in both schemas ("+" a space, "%2B" a plus: Batch Operations
// passes the key as its manifest holds it, URL-encoded), the id is
// ObjectJobID of bucket, key and version (the event carries no ETag, so an
// unversioned object's id does not change when the object is rewritten).
// Invocation.S3Batch holds the schema version, invocation id, job id and
// userArguments; the function answers with S3BatchResponse: the schema
// version and invocation id echoed, one {taskId, resultCode, resultString}
// per task (resultCode Succeeded, TemporaryFailure or PermanentFailure), and
// treatMissingKeysAs PermanentFailure. An unknown schema version, a missing
// invocationId or tasks that are not an array fail the whole invocation.
//
// # Message bodies
//
// An SQS message body must be a JSON object of one of the shapes below. The
// shape is told by its top-level fields; a body that matches none, or more
// than one, is rejected as malformed_job with a message naming the accepted
// shapes. A body that is not a job goes to the dead-letter queue unchanged.
//
// (a) An inline job:
//
//	{
//	  "job_id":   "invoice-2024-0042",                        // optional
//	  "model":    "ppocr-rec",                                // optional: the worker's default model
//	  "input":    {"s3": "s3://bucket/path/to/line.png"},     // exactly one input kind, see below
//	  "entity":   {"customer_id": "c-42"},                    // optional: keys into the model's feature source
//	  "metadata": {"customer": "acme"}                        // optional: copied to the result
//	}
//
// The input is exactly one of
//
//	{"s3": "s3://bucket/key"}         an object to fetch; the key is taken literally (not URL-decoded)
//	{"features": [5.1, 3.5, 1.4, 0.2]} tabular input, an array or an object of named features
//	{"data_base64": "iVBORw0KGgo..."}  the input bytes in standard base64 (padding optional)
//	{"text": "...", "text_pair": "..."} a text (text_pair optional: the second text of a pair)
//	{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}
//	                                   an Open Inference Protocol (KServe v2) request: raw tensors
//
// Bytes (s3 or data_base64) for an image model are a picture (PNG, JPEG,
// GIF, BMP, WebP) or a document (PDF, TIFF); the model, not this package,
// reads them: a document's output is {"pages": [{"page": n, ...}], ...}
// (README, "Documents and pictures as users have them").
//
// A text is any JSON string, "" included, that is valid Unicode: bytes that
// are not UTF-8, and \u escapes of lone UTF-16 surrogates, are invalid_text
// (checked on the raw bytes: encoding/json would turn both into U+FFFD
// without a word). text_pair needs text.
//
// A tensor request's "inputs" is a non-empty array of tensors, each
// {"name", "shape", "datatype", "data", "parameters"?}: name non-empty and
// unique, shape whole numbers ≥ 0 (the batch dim first), datatype one of
// FP32, FP64, INT64, INT32, INT8, UINT8, BOOL (FP16 is refused: ONNX
// Runtime's Go binding reads float16 outputs wrongly), data the values in
// row-major order: flat, or nested arrays that are flattened; numbers for
// the number types (whole and in range for the integer types; the strings
// "NaN", "Infinity", "-Infinity" for floats), true/false for BOOL; exactly
// as many values as the shape holds. The request's own "id" is read with
// it (POST /v2/models/{model}/infer echoes a string id); "parameters" and
// "outputs" are accepted and ignored (every output is answered). Any
// break of these rules is invalid_tensor, naming the input. The model
// checks the tensors against its own inputs later (also invalid_tensor).
//
// entity, when given, is an object of 1 to 8 attribute names to non-empty
// strings or numbers (Job.Entity: strings, and json.Number as written).
//
// Rules: unknown top-level fields are rejected (so a typo such as "modle"
// cannot silently run the default model; names are case-sensitive);
// job_id, when given, is 1 to 256 printable characters without leading or
// trailing spaces and must not start with "s3-", "inline-" or "malformed-"
// (reserved for derived ids); without job_id the job's id is the SQS message id (the SNS
// message id when the job came in an SNS envelope, since SNS may deliver one
// notification as two SQS messages); model is at most 128 printable
// characters, "" or null meaning the default; metadata is a JSON object of
// at most 16 KiB; the S3 bucket name follows S3's naming rules; empty
// data_base64 is empty_input, and features that are neither an array nor an
// object are invalid_features.
//
// (b) An S3 event notification, as S3 sends it to SQS:
//
//	{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
//	  "s3": {"bucket": {"name": "inbox"}, "object": {"key": "my+scan.png", "size": 2048,
//	  "eTag": "0123...", "versionId": "096f..."}}}]}
//
// Keys are URL-decoded as S3 encodes them ("+" is a space, "%2B" a plus).
// Every ObjectCreated:* record is a job; other events (ObjectRemoved:*,
// restores, lifecycle, replication, ...) carry no work and are
// acknowledged. A message with several records makes several jobs; one bad
// record makes the whole message malformed.
//
// (c) An SNS envelope, as SNS delivers to SQS with raw message delivery
// off: {"Type": "Notification", "MessageId": "...", "Message": "<JSON>"}
// whose Message string holds (a), (b), (d) or (e). SNS subscription and
// unsubscribe confirmations are acknowledged and ignored. (With raw
// delivery on, the queue receives the inner body itself.)
//
// (d) An EventBridge event from a rule on S3's events:
//
//	{"source": "aws.s3", "detail-type": "Object Created",
//	 "detail": {"bucket": {"name": "inbox"}, "object": {"key": "my scan.png",
//	 "size": 2048, "etag": "0123...", "version-id": "IYV3..."}}}
//
// Its key is used as-is (EventBridge does not URL-encode keys). Other aws.s3
// detail types are acknowledged and ignored; other sources are rejected.
//
// (e) S3's test event {"Service": "Amazon S3", "Event": "s3:TestEvent", ...},
// sent once when a notification configuration is saved: acknowledged,
// ignored.
//
// (f) A reprocess request, which the scheduled reprocessing (EventBridge
// Scheduler, infra/stack ReprocessBody) puts on the jobs queue:
//
//	{"reprocess": {
//	  "status":            "FAILED",               // FAILED or SUCCEEDED, required
//	  "since":             "24h",                  // a Go duration or an RFC 3339 time, required
//	  "code":              "input_missing",        // optional: only FAILED jobs with this error code
//	  "model_version_not": "2024-06",              // optional: only jobs on another model version
//	  "limit":             500,                    // optional: at most this many jobs read (0 = all)
//	  "scheduled_time":    "2025-03-14T06:00:00Z"  // optional: filled by the scheduler
//	}}
//
// It decodes to Message.Reprocess (no Jobs). "reprocess" must be the only
// top-level field and the request's fields are checked exactly as an
// inline job's are (unknown names rejected). A duration window counts back
// from scheduled_time, else from the message's SentTimestamp
// (ReprocessRequest.From), so a redelivered request selects the same jobs.
// A request wrapped in an SNS envelope is rejected: the schedule sends it
// to the queue directly.
//
// # Redelivery and redrive
//
// A message sent to the dead-letter queue by the worker carries the
// message attributes error_code, error_message, job_id and
// source_message_id (deadletter.go). error_message, like an item's
// error.message, does not repeat the code (MessageOf). A message that comes back carrying
// error_code and job_id (`batchinfer dlq redrive`, SQS's own redrive) is a
// redrive, Message.Redrive: it reruns its job and replaces the FAILED item.
// Any other delivery of a job whose outcome is written is a duplicate and
// is acknowledged, whatever the outcome, with no second dead letter; so is
// a redriven message delivered again once its own rerun is written (the
// item then names it in message_id).
//
// # Record files
//
// An S3 object whose key ends in .jsonl, .ndjson or .csv, each optionally
// followed by .gz (any letter case: RecordFileFormat), is a record file:
// one input per record. RecordReader streams it; each Record has a 1-based
// Num (blank lines and the CSV header are not records), an ID, an Input as
// an inline job's, or an Err (a *Error) when that record alone cannot be
// used, and End: the offset just past it in the decompressed stream.
//
// JSONL: each line that is not blank (whitespace only) is a JSON object
// with exactly one input field, as in an inline job's "input":
//
//	{"id": "row-1", "features": [5.1, 3.5, 1.4, 0.2]}
//	{"id": 2, "features": {"sepal_length": 5.1, ...}}
//	{"s3": "s3://bucket/key"}
//	{"data_base64": "iVBORw0KGgo..."}
//	{"id": "r-7", "text": "Great product.", "entity": {"user_id": "u-1"}}
//	{"text": "who wrote it?", "text_pair": "Ada did."}
//	{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}
//
// A record may carry an "entity" (Record.Entity), as an inline job may.
// Field names are exact (case-sensitive); other fields are ignored. The id,
// optional, is a JSON string or number copied as written; without one the
// record's Num is its id. A line that is not a JSON object, an object with
// none or several input fields, or an id of another type is malformed_job;
// features neither array nor object are invalid_features; the inputs'
// other rules are an inline job's.
//
// CSV (RFC 4180 as encoding/csv reads it: "," separated, '"' quoting with
// "" for a quote, quoted fields may hold newlines, CRLF line ends, a UTF-8
// BOM skipped): the first row is the header. A column named "id" holds the
// record ids (an empty cell: Num). A column named "text", when the model's
// features do not name one, makes every row a text (its cell as written,
// invalid_text when not UTF-8), with a "text_pair" column's cell as its
// pair; other columns are then ignored. Otherwise the columns are features: matched
// by name to the model's preprocess.features when it has names (columns in
// any order, extra columns ignored; a missing column makes every record
// wrong_feature_count, naming it), else taken in column order. Each row
// becomes {"features": [...]} in the model's feature order: a cell that is a
// finite number a JSON number, anything else a JSON string (NaN, Inf,
// -Inf, Infinity: the model's non_finite_feature; an empty cell or text:
// invalid_features). A row with another number of cells than the header is
// wrong_feature_count; a CSV syntax error (a bare or stray quote) is
// malformed_job. Blank lines are skipped.
//
// Entities (RecordReaderOptions.EntityKey and Stored, set from the model's
// feature_source): a JSONL record's "entity" is an inline job's; in a CSV
// the column named as the feature source's key (and no feature) makes
// its cell, trimmed, the row's entity {key: cell} as a string (an empty
// cell: no entity; a cell that is not UTF-8: malformed_job). The columns
// of the features the source holds may then be absent, and an empty cell
// in one leaves that feature to the source; each row becomes
// {"features": {name: value, ...}} so the stored features merge in by
// name, the row's own values winning. The worker reads a pack's distinct
// entities in one BatchGetItem per 100 keys; an entity not in the table
// (without defaults) is that record's features_missing.
//
// A record longer than MaxRecordBytes (default 1 MiB) is input_too_large
// and skipped without being held in memory. A broken gzip stream, or a
// header that cannot be read, fails the rest of the file (the records
// before it stand).
//
// Resuming: a reader started at a record's End, with NextNum its Num+1
// (and, for CSV, the Header read before), continues with the next record.
// A plain file is resumed with a Range GET from End; a gzipped one is read
// from its start and the first End bytes of content are discarded.
//
// # Job ids and payload hashes
//
// An S3 object's job id is ObjectJobID: "s3-" and 32 hex digits of a sha256
// over bucket, key and version id (or the ETag when the bucket is
// unversioned), so duplicate notifications of one object, whichever way
// they arrive, land on one result item, while a new version is a new job.
//
// A body that fails to decode is recorded under Message.ErrJobID: its own
// job_id when it names a valid one, else the message id; Message.BodyHash
// (BodyHash: the hex sha256 of the body) stands in for its payload hash.
//
// # Encoders
//
// InlineJob.Body encodes shape (a), refusing what the decoder would reject;
// S3Notification encodes shape (b); S3BatchResponse answers an S3 Batch
// Operations invoke.
//
// PayloadHash is the sha256 of the job's canonical payload (model, input,
// metadata, entity, with JSON keys sorted), stored with the result: a
// job_id seen again with a different hash is an idempotency_conflict. A
// text input is hashed as its decoded text and pair; a tensor request as
// the sha256 of each tensor's name, datatype, shape and binary data (so
// 1, 1.0 and 1e0 are one value). Fields of newer input kinds are left out
// when unset, so every earlier job's hash is unchanged.
//
// An S3 object's bytes become an input by its key (ObjectInputKind): a
// .txt object is one text (TextObject: UTF-8 after an optional BOM, else
// invalid_text), a .json object with a top-level "inputs" member a tensor
// request (ParseTensorRequest), any other object bytes for the model.
package jobs
