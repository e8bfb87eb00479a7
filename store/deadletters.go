package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// maxErrorMessageBytes caps the error_message attribute: enough for a
// wrapped error chain, small next to SQS's message size limit.
const maxErrorMessageBytes = 1024

// DeadLetter is one permanently failed message: the original body and why.
type DeadLetter struct {
	Body            string // the source message body, sent as-is
	Code            string // jobs.Code
	Message         string
	JobID           string
	SourceMessageID string
}

// DeadLetters sends failed messages to the dead-letter queue.
type DeadLetters struct {
	Client   *sqs.Client
	QueueURL string
}

// Send puts dl on the queue: the original body, and message attributes
// error_code, error_message (truncated to 1 KiB on a character boundary,
// control characters removed), job_id and source_message_id (empty ones
// are left out: SQS rejects empty attribute values). A FIFO DLQ gets the
// job as its group and a deduplication id derived from the message.
func (d *DeadLetters) Send(ctx context.Context, dl DeadLetter) error {
	body := dl.Body
	if body == "" {
		// SQS refuses empty bodies; keep the facts instead.
		b, _ := json.Marshal(map[string]string{"job_id": dl.JobID, "source_message_id": dl.SourceMessageID, "error_code": dl.Code})
		body = string(b)
	}
	attrs := map[string]types.MessageAttributeValue{}
	for name, v := range map[string]string{
		"error_code":        dl.Code,
		"error_message":     truncateUTF8(sqsSafe(dl.Message), maxErrorMessageBytes),
		"job_id":            sqsSafe(dl.JobID),
		"source_message_id": sqsSafe(dl.SourceMessageID),
	} {
		if v != "" {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(d.QueueURL), MessageBody: aws.String(body), MessageAttributes: attrs}
	if strings.HasSuffix(d.QueueURL, ".fifo") {
		group := dl.JobID
		if group == "" {
			group = "batchinfer"
		}
		sum := sha256.Sum256([]byte(dl.SourceMessageID + "\x00" + dl.JobID + "\x00" + body))
		in.MessageGroupId = aws.String(truncateUTF8(group, 128))
		in.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
	}
	if _, err := d.Client.SendMessage(ctx, in); err != nil {
		return Classify(err, "send job "+dl.JobID+" to the dead-letter queue")
	}
	return nil
}

// sqsSafe keeps the characters SQS allows in message attributes (XML 1.0
// characters: tab, newline, carriage return, U+0020 and above except
// surrogates and U+FFFE/U+FFFF); invalid UTF-8 becomes U+FFFD.
func sqsSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character,
// marking the cut with "…".
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
