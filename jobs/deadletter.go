package jobs

import "github.com/aws/aws-lambda-go/events"

// The message attributes the worker sets on a message it sends to the
// dead-letter queue (store.DeadLetters). `dlq redrive` and SQS's own
// redrive keep them, so a message that carries them is a redrive: moved
// back on purpose, it reruns its job (Message.Redrive).
const (
	AttrErrorCode       = "error_code"
	AttrErrorMessage    = "error_message"
	AttrJobID           = "job_id"
	AttrSourceMessageID = "source_message_id"
)

// isRedrive tells a message moved back from the dead-letter queue (it
// carries the worker's error_code and job_id) from a plain delivery.
func isRedrive(rec events.SQSMessage) bool {
	has := func(name string) bool {
		a, ok := rec.MessageAttributes[name]
		return ok && a.StringValue != nil && *a.StringValue != ""
	}
	return has(AttrErrorCode) && has(AttrJobID)
}
