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

func TestHandleServesProxyEventsWithItsHTTPHandler(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("q")+" "+r.Header.Get("x-api-key"))
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(b)
	})
	w := &Worker{HTTP: echo}
	ev := events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/v1/predict", Headers: map[string]string{"x-api-key": "k"},
		QueryStringParameters: map[string]string{"q": "1"},
		Body:                  base64.StdEncoding.EncodeToString([]byte(`{"input": {}}`)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r"},
	}
	payload, _ := json.Marshal(ev)
	out, err := w.Handle(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.APIGatewayProxyResponse)
	if resp.StatusCode != http.StatusTeapot || resp.Body != `{"input": {}}` || resp.Headers["X-Seen"] != "POST /v1/predict 1 k" {
		t.Errorf("got %+v", resp)
	}
	if _, err := (&Worker{}).Handle(context.Background(), payload); err == nil {
		t.Error("a function without HTTP routes took a proxy event")
	}
}
