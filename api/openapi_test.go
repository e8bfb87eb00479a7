package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// apiSpec loads docs/api.yaml once and checks it is valid OpenAPI 3.
var apiSpec = testenv.Shared("docs/api.yaml", func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(testenv.RepoRoot(), "docs", "api.yaml"))
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// answer is one response of the server, already checked against the spec.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// call sends one request over real HTTP and checks the answer against
// docs/api.yaml: the status must be documented for the route and the body
// must match its schema.
func call(t *testing.T, baseURL, method, path, key string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(APIKeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: %d answer is not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	checkAgainstSpec(t, req, resp, raw)
	return a
}

func checkAgainstSpec(t *testing.T, req *http.Request, resp *http.Response, raw []byte) {
	t.Helper()
	doc := *apiSpec(t)
	doc.Servers = openapi3.Servers{{URL: "http://" + req.URL.Host}}
	router, err := legacy.NewRouter(&doc)
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return // not a route of the API: nothing to check it against
	}
	if route.Operation.Responses.Status(resp.StatusCode) == nil {
		t.Errorf("%s %s answered %d, which docs/api.yaml does not list", req.Method, req.URL.Path, resp.StatusCode)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(raw)),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s %d answer does not match docs/api.yaml: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// TestSpecJobSchemaIsTheStackModel keeps docs/api.yaml's Job schema equal
// to the REST API's request model (infra/stack/jobschema.json), which the
// infra assertion tests find in the synthesised template.
func TestSpecJobSchemaIsTheStackModel(t *testing.T) {
	fromSpec, err := json.Marshal(apiSpec(t).Components.Schemas["Job"].Value)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "infra", "stack", "jobschema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var model, spec map[string]any
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	delete(model, "$schema") // JSON Schema's own header; OpenAPI has none
	delete(model, "title")
	if err := json.Unmarshal(fromSpec, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(model, spec) {
		t.Errorf("docs/api.yaml Job and infra/stack/jobschema.json differ:\nspec:  %s\nmodel: %s", fromSpec, raw)
	}
	if p := model["properties"].(map[string]any)["job_id"].(map[string]any)["pattern"]; p != JobIDPattern.String() {
		t.Errorf("the model's job_id pattern %v is not the server's %s", p, JobIDPattern)
	}
}

// TestSpecRejectsWhatTheServerRejects sends bodies the server refuses
// through the spec's own request validation: the schema must refuse them
// too, so API Gateway's validator and `batchinfer api` agree.
func TestSpecRejectsWhatTheServerRejects(t *testing.T) {
	doc := apiSpec(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"no input":      `{"model": "iris-rf"}`,
		"unknown field": `{"input": {"features": [1]}, "modle": "x"}`,
		"bad job_id":    `{"job_id": "a/b", "input": {"features": [1]}}`,
		"two inputs":    `{"input": {"features": [1], "s3": "s3://b/k"}}`,
		"bad s3":        `{"input": {"s3": "https://b/k"}}`,
		"features kind": `{"input": {"features": "1,2"}}`,
		"text and s3":   `{"input": {"text": "hi", "s3": "s3://b/k"}}`,
		"text number":   `{"input": {"text": 42}}`,
		"pair alone":    `{"input": {"text_pair": "x"}}`,
		"FP16 tensor":   `{"input": {"inputs": [{"name": "x", "shape": [1], "datatype": "FP16", "data": [1]}]}}`,
		"tensor shape":  `{"input": {"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]}}`,
		"entity bool":   `{"input": {"text": "hi"}, "entity": {"id": true}}`,
		"entity empty":  `{"input": {"text": "hi"}, "entity": {}}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, doc.Servers[0].URL+"/v1/jobs", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err == nil {
			t.Errorf("%s: the spec accepts %s", name, body)
		}
		if _, err := jobMessage([]byte(body), "req-1"); err == nil {
			t.Errorf("%s: the server accepts %s", name, body)
		}
	}
}
