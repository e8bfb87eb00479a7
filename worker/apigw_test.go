package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Handle answers API Gateway proxy events with the worker's HTTP handler
// (the same http.Handler `batchinfer api` serves; the uploads function
// serves its own through ServeProxy): method, path, query, headers and
// body, plain or base64, reach it; its status, headers and body return.
func TestHandleServesProxyEventsWithItsHTTPHandler(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Seen", r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("q")+" "+r.Header.Get("x-api-key"))
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(b)
	})
	for _, tc := range []struct {
		name, body string
		base64     bool
	}{
		{"base64 body", `{"input": {}}`, true},
		{"plain body", `{"size": 3}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := events.APIGatewayProxyRequest{
				HTTPMethod: "POST", Path: "/v1/predict", Headers: map[string]string{"x-api-key": "k"},
				QueryStringParameters: map[string]string{"q": "1"}, Body: tc.body, IsBase64Encoded: tc.base64,
				RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r"},
			}
			if tc.base64 {
				ev.Body = base64.StdEncoding.EncodeToString([]byte(tc.body))
			}
			payload, _ := json.Marshal(ev)
			out, err := (&Worker{HTTP: echo}).Handle(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			resp := out.(events.APIGatewayProxyResponse)
			if resp.StatusCode != http.StatusTeapot || resp.Body != tc.body || resp.Headers["X-Seen"] != "POST /v1/predict 1 k" ||
				resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("got %+v", resp)
			}
			if _, err := (&Worker{}).Handle(context.Background(), payload); err == nil {
				t.Error("a function without HTTP routes took a proxy event")
			}
		})
	}
}
