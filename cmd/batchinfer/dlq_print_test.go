package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// On a terminal the DLQ is a table (job, the error's code once, receives,
// age) and a count by code.
func TestDeadLetterTable(t *testing.T) {
	msg := func(job, code, text string, ago time.Duration) sqstypes.Message {
		str := func(v string) sqstypes.MessageAttributeValue {
			return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
		return sqstypes.Message{MessageId: aws.String("m-" + job),
			Attributes:        map[string]string{"SentTimestamp": strconv.FormatInt(testNow.Add(-ago).UnixMilli(), 10), "ApproximateReceiveCount": "1"},
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"job_id": str(job), "error_code": str(code), "error_message": str(text)}}
	}
	var b bytes.Buffer
	err := printDeadLetterTable(&b, []sqstypes.Message{
		msg("a", "unknown_model", `unknown_model: model "x" is not served`, 2*time.Minute),
		msg("b", "input_missing", "no such key", 3*time.Hour),
		msg("c", "unknown_model", `model "y" is not served`, time.Minute),
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"JOB", `a    unknown_model: model "x" is not served`, "b    input_missing: no such key", "3h",
		"3 messages: input_missing 1, unknown_model 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "unknown_model: unknown_model") > 0 {
		t.Errorf("a code said twice:\n%s", got)
	}
}
