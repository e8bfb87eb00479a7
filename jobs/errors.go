package jobs

import (
	"errors"
	"fmt"
	"strings"
)

// Code names one kind of failure. Codes are stable: they are written to the
// results table (`error.code`), to the DLQ message attribute `error_code` and
// printed by `batchinfer predict`, so users alert and filter on them.
type Code string

// Permanent failures: retrying cannot help, so the item is marked FAILED and
// its message goes to the dead-letter queue at once.
const (
	CodeMalformedJob        Code = "malformed_job"        // the message body is not a job or event we understand
	CodeUnknownModel        Code = "unknown_model"        // the job names a model this worker does not serve
	CodeInputMissing        Code = "input_missing"        // the S3 object does not exist (or is not readable)
	CodeInputTooLarge       Code = "input_too_large"      // more bytes than BATCHINFER_MAX_INPUT_BYTES
	CodeBucketNotAllowed    Code = "bucket_not_allowed"   // the bucket is not in BATCHINFER_INPUT_BUCKETS
	CodeEmptyInput          Code = "empty_input"          // zero bytes
	CodeUnsupportedFormat   Code = "unsupported_format"   // e.g. a GIF where PNG or JPEG is expected
	CodeUndecodableImage    Code = "undecodable_image"    // truncated or corrupt PNG/JPEG
	CodeImageTooLarge       Code = "image_too_large"      // declared dimensions over the pixel cap (decompression bomb)
	CodeImageDimensions     Code = "bad_image_dimensions" // e.g. a text line too wide for the model after resizing
	CodeInvalidFeatures     Code = "invalid_features"     // tabular JSON that is not {"features": ...}
	CodeWrongFeatureCount   Code = "wrong_feature_count"  // the model wants a different number of features
	CodeNonFiniteFeature    Code = "non_finite_feature"   // NaN or ±Inf
	CodeInferenceFailed     Code = "inference_failed"     // ONNX Runtime rejected this one row (isolated by bisection)
	CodeIdempotencyConflict Code = "idempotency_conflict" // the job_id was seen before with a different payload
	CodeRetriesExhausted    Code = "retries_exhausted"    // transient failures until BATCHINFER_MAX_RECEIVES
	CodeInferenceCrashed    Code = "inference_crashed"    // the input killed the inference process when run alone in a child process (a native fault, out of memory)
	CodeNotConfigured       Code = "not_configured"       // the worker lacks a variable this message needs (e.g. BATCHINFER_QUEUE_URL for reprocess)
	CodeInvalidText         Code = "invalid_text"         // a text that is not UTF-8
	CodeInvalidTensor       Code = "invalid_tensor"       // a tensor request whose shape, dtype or data count the model (or the protocol) refuses
	CodeFeaturesMissing     Code = "features_missing"     // the job's entity is not in the model's feature table, and the model has no defaults
	CodeTooManyPages        Code = "too_many_pages"       // a document with more pages than the model's max_pages
	CodeUndecodableDocument Code = "undecodable_document" // an encrypted, truncated or broken PDF or TIFF
)

// Transient failures: SQS redelivers the message after its visibility timeout.
const (
	CodeThrottled    Code = "throttled"          // the AWS service asked us to slow down
	CodeServiceError Code = "service_error"      // 5xx from an AWS service
	CodeTimeout      Code = "timeout"            // a call timed out
	CodeNetwork      Code = "network"            // connection refused/reset, DNS
	CodeDeadline     Code = "deadline"           // the Lambda invocation is about to run out of time
	CodeInProgress   Code = "in_progress"        // another invocation holds the job's claim
	CodeGroupBlocked Code = "fifo_group_blocked" // an earlier message of its FIFO message group is retried: this one waits, in order
	CodeInternal     Code = "internal"           // a bug or an unexpected error: retried, then exhausted
)

var permanent = map[Code]bool{
	CodeMalformedJob: true, CodeUnknownModel: true, CodeInputMissing: true,
	CodeInputTooLarge: true, CodeBucketNotAllowed: true, CodeEmptyInput: true,
	CodeUnsupportedFormat: true, CodeUndecodableImage: true, CodeImageTooLarge: true,
	CodeImageDimensions: true, CodeInvalidFeatures: true, CodeWrongFeatureCount: true,
	CodeNonFiniteFeature: true, CodeInferenceFailed: true, CodeIdempotencyConflict: true,
	CodeRetriesExhausted: true, CodeNotConfigured: true, CodeInferenceCrashed: true,
	CodeInvalidText: true, CodeInvalidTensor: true, CodeFeaturesMissing: true,
	CodeTooManyPages: true, CodeUndecodableDocument: true,
}

// Permanent reports whether a failure with this code must not be retried.
// Unknown codes count as transient: a retry is cheaper than a lost job.
func (c Code) Permanent() bool { return permanent[c] }

// Error is a failure with its taxonomy code.
type Error struct {
	Code    Code
	Message string
	Err     error // the cause, if any
}

func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Wrap attaches a code to a cause.
func Wrap(code Code, err error, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, or
// CodeInternal for an error without one.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsPermanent reports whether err must not be retried.
func IsPermanent(err error) bool { return err != nil && CodeOf(err).Permanent() }

// MessageOf is err's text without its code, for the places that keep the
// code beside the message (an item's error, a DLQ message's attributes, an
// HTTP answer), so that the code is said once.
func MessageOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), string(e.Code)+": ", "")
}
