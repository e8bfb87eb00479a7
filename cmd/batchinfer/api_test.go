package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The uploads function answers API Gateway's proxy events with the same
// http.Handler `batchinfer api` serves.
func TestServeProxy(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Test")+" "+string(b))
	})
	resp := serveProxy(context.Background(), h, events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/v1/uploads", Headers: map[string]string{"x-test": "yes"}, Body: `{"size": 3}`,
	})
	if resp.StatusCode != http.StatusTeapot || resp.Body != `POST /v1/uploads yes {"size": 3}` || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("response %+v", resp)
	}
}

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
