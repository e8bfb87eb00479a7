package worker

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// handleProxy answers an API Gateway proxy event (the predict routes)
// with w.HTTP, the same handler `batchinfer api` serves.
func (w *Worker) handleProxy(ctx context.Context, req events.APIGatewayProxyRequest) (any, error) {
	if w.HTTP == nil {
		return nil, errors.New("an API Gateway proxy event reached a function that serves no HTTP routes")
	}
	return ServeProxy(ctx, w.HTTP, req), nil
}

// ServeProxy answers an API Gateway proxy event (payload format 1.0) with
// an http.Handler: the request's method, path, query, headers and body (a
// binary body arrives base64-encoded) become an http.Request.
func ServeProxy(ctx context.Context, h http.Handler, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	body := ev.Body
	if ev.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(ev.Body); err == nil {
			body = string(b)
		}
	}
	target := "http://lambda" + (&url.URL{Path: ev.Path}).EscapedPath()
	if q := proxyQuery(ev); q != "" {
		target += "?" + q
	}
	req := httptest.NewRequestWithContext(ctx, ev.HTTPMethod, target, strings.NewReader(body))
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	headers := map[string]string{}
	for k := range rec.Header() {
		headers[k] = rec.Header().Get(k)
	}
	return events.APIGatewayProxyResponse{StatusCode: rec.Code, Headers: headers, Body: rec.Body.String()}
}

func proxyQuery(ev events.APIGatewayProxyRequest) string {
	q := url.Values{}
	for k, vs := range ev.MultiValueQueryStringParameters {
		q[k] = vs
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	return q.Encode()
}
