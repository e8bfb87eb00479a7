package jobs

import "github.com/aws/aws-lambda-go/events"

// MaxMessageBytes is SQS's message size limit: a body over it cannot be
// sent to the jobs queue.
const MaxMessageBytes = 256 << 10

// CheckBody decodes body as the worker will decode its message (messageID
// stands in for the id SQS will give it) and refuses what the worker would
// not run: a body over MaxMessageBytes, one that does not decode, one that
// carries no work. Producers (the API, `submit`) check with it before
// sending.
func CheckBody(body, messageID string) (Message, error) {
	if len(body) > MaxMessageBytes {
		return Message{}, Errorf(CodeMalformedJob, "the message is %d KiB, over SQS's %d KiB", len(body)>>10, MaxMessageBytes>>10)
	}
	m := DecodeMessage(events.SQSMessage{MessageId: messageID, Body: body})
	switch {
	case m.Err != nil:
		return m, m.Err
	case m.Ignored:
		return m, Errorf(CodeMalformedJob, "carries no work (%s)", m.IgnoredReason)
	}
	return m, nil
}
