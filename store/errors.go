package store

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchinfer/batchinfer/jobs"
)

// Classify turns an error from an AWS SDK call into a *jobs.Error whose
// code tells the worker whether to retry: throttling → throttled, 5xx →
// service_error, timeouts → timeout, connection failures → network, the
// caller's context ending → deadline, anything else → internal (cause
// kept). doing says what was being attempted ("get s3://b/k") and becomes
// the message. An error that already carries a code is returned as is;
// nil stays nil.
//
// The caller's context ending and a timeout of the call itself are told
// apart by the error alone; net/http's Client.Timeout can surface as the
// bare context.DeadlineExceeded and is then reported as deadline. Both
// codes are transient, so only the log wording differs.
func Classify(err error, doing string) error {
	if err == nil {
		return nil
	}
	var coded *jobs.Error
	if errors.As(err, &coded) {
		return err
	}
	return jobs.Wrap(classifyCode(err), err, "%s", doing)
}

// classifyCode picks the code. The order matters: a response from the
// service (an API error with a status) is more specific than the transport
// failure or timeout that may also be in the chain.
func classifyCode(err error) jobs.Code {
	var api smithy.APIError
	hasAPI := errors.As(err, &api)
	status := httpStatus(err)
	transport, onTheWay := transportCode(err)
	var de *smithy.DeserializationError

	switch {
	case hasAPI && isThrottleCode(api.ErrorCode()), status == 429:
		return jobs.CodeThrottled
	case hasAPI && isTimeoutCode(api.ErrorCode()):
		return jobs.CodeTimeout
	case status >= 500:
		return jobs.CodeServiceError
	case !hasAPI && onTheWay && errors.As(err, &de):
		// The service answered (a status) but its answer was cut off while
		// the SDK read it (a transport error, not bad JSON): the call may
		// have taken effect, so it is the way's fault, not the deployment's.
		return transport
	case status > 0 || hasAPI:
		// A 4xx the service meant (no such table, access denied) is not
		// this job's fault but the deployment's: internal, so it is
		// retried and, unfixed, ends as retries_exhausted instead of
		// failing every job permanently the moment a permission is missing.
		return jobs.CodeInternal
	case onTheWay:
		return transport
	}
	return jobs.CodeInternal
}

// transportCode is the code of a failure on the way to the service or
// back (the context ended, a timeout, the network), false for none.
func transportCode(err error) (jobs.Code, bool) {
	switch {
	case contextEnded(err):
		return jobs.CodeDeadline, true
	case isTimeout(err):
		return jobs.CodeTimeout, true
	case isNetwork(err):
		return jobs.CodeNetwork, true
	}
	return "", false
}

// httpStatus is the response status carried by err, 0 without a response.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isThrottleCode uses the SDK's own list, which covers every service we
// call (DynamoDB ProvisionedThroughputExceededException and
// ThrottlingException, S3 SlowDown, SQS RequestThrottled, ...).
func isThrottleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

func isTimeoutCode(code string) bool {
	_, ok := retry.DefaultRetryableErrorCodes[code] // RequestTimeout, RequestTimeoutException
	return ok
}

// contextEnded reports whether the caller's context ended the call: the
// context's own error value is in the chain. errors.Is is not enough:
// net/http's Client.Timeout error also claims to be DeadlineExceeded,
// and that one is a timeout of the call, not the invocation running out.
func contextEnded(err error) bool {
	for _, e := range unwrapAll(err) {
		if e == context.DeadlineExceeded || e == context.Canceled {
			return true
		}
	}
	return false
}

// unwrapAll lists every error in err's tree, depth first.
func unwrapAll(err error) []error {
	var all []error
	var walk func(error)
	walk = func(e error) {
		if e == nil || len(all) > 100 {
			return
		}
		all = append(all, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return all
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isNetwork recognises failures to reach the service or to finish reading
// its answer: the call may or may not have happened, so it is retried.
func isNetwork(err error) bool {
	var send *smithyhttp.RequestSendError
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &send), errors.As(err, &op), errors.As(err, &dns):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	return false
}
