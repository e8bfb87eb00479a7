package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/batchinfer/batchinfer/jobs"
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
	return d.SendBatch(ctx, []DeadLetter{dl})[0]
}

// maxBatchPayload keeps one SendMessageBatch under SQS's 256 KiB total.
const maxBatchPayload = 250 << 10

// SendBatch sends dls as Send does, with SendMessageBatch calls of up to
// ten messages and 250 KiB: a failed invocation's dead letters cost one
// call per ten, not one each. It returns one error per dead letter (nil
// when sent); a failed entry never holds back the others.
func (d *DeadLetters) SendBatch(ctx context.Context, dls []DeadLetter) []error {
	errs := make([]error, len(dls))
	for start := 0; start < len(dls); {
		end, size := start, 0
		for end < len(dls) && end-start < MaxSQSBatch {
			n := len(dls[end].Body) + 2048 // attributes
			if end > start && size+n > maxBatchPayload {
				break
			}
			size += n
			end++
		}
		d.sendChunk(ctx, dls[start:end], errs[start:end])
		start = end
	}
	return errs
}

func (d *DeadLetters) sendChunk(ctx context.Context, dls []DeadLetter, errs []error) {
	entries := make([]types.SendMessageBatchRequestEntry, len(dls))
	for i, dl := range dls {
		entries[i] = d.entry(strconv.Itoa(i), dl)
	}
	out, err := d.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(d.QueueURL), Entries: entries})
	if err != nil {
		err = Classify(err, fmt.Sprintf("send %d jobs to the dead-letter queue", len(dls)))
		for i := range errs {
			errs[i] = err
		}
		return
	}
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(dls) {
			errs[i] = Classify(fmt.Errorf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message)),
				"send job "+dls[i].JobID+" to the dead-letter queue")
		}
	}
}

func (d *DeadLetters) entry(id string, dl DeadLetter) types.SendMessageBatchRequestEntry {
	body := dl.Body
	if body == "" {
		// SQS refuses empty bodies; keep the facts instead.
		b, _ := json.Marshal(map[string]string{jobs.AttrJobID: dl.JobID, jobs.AttrSourceMessageID: dl.SourceMessageID, jobs.AttrErrorCode: dl.Code})
		body = string(b)
	}
	attrs := map[string]types.MessageAttributeValue{}
	for name, v := range map[string]string{
		jobs.AttrErrorCode:       dl.Code,
		jobs.AttrErrorMessage:    truncateUTF8(sqsSafe(dl.Message), maxErrorMessageBytes),
		jobs.AttrJobID:           sqsSafe(dl.JobID),
		jobs.AttrSourceMessageID: sqsSafe(dl.SourceMessageID),
	} {
		if v != "" {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body), MessageAttributes: attrs}
	if strings.HasSuffix(d.QueueURL, ".fifo") {
		group := dl.JobID
		if group == "" {
			group = "batchinfer"
		}
		sum := sha256.Sum256([]byte(dl.SourceMessageID + "\x00" + dl.JobID + "\x00" + body))
		e.MessageGroupId = aws.String(truncateUTF8(group, 128))
		e.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
	}
	return e
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
