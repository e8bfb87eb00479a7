package main

import (
	"strings"
	"testing"
)

func TestAPIUsageErrors(t *testing.T) {
	t.Setenv("BATCHINFER_API_KEYS", "")
	code, _, errOut := cli(t, "", "api", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "BATCHINFER_API_KEYS") {
		t.Errorf("api without keys: exit %d, %s", code, errOut)
	}
	t.Setenv("BATCHINFER_API_KEYS", "k")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("BATCHINFER_QUEUE_URL", "")
	code, _, errOut = cli(t, "", "api")
	if code != 2 || !strings.Contains(errOut, "BATCHINFER_QUEUE_URL") {
		t.Errorf("api without a queue: exit %d, %s", code, errOut)
	}
}
