package jobs

import (
	"encoding/json"
	"testing"
)

func TestDecodeProxyRequestTellsProxyEventsFromOthers(t *testing.T) {
	req, ok := DecodeProxyRequest(sample(t, "apigw-request.json"))
	if !ok || req.HTTPMethod != "POST" || req.Path != "/hello/world" || req.RequestContext.Stage != "testStage" {
		t.Errorf("the proxy sample: ok=%v %s %s stage %q", ok, req.HTTPMethod, req.Path, req.RequestContext.Stage)
	}
	for _, name := range []string{"sqs-event.json", "s3-event.json", "sns-event.json", "s3-batch-job-event-request-2.0.json", "cloudwatch-logs-event.json"} {
		if _, ok := DecodeProxyRequest(sample(t, name)); ok {
			t.Errorf("%s taken for a proxy event", name)
		}
	}
	// A job whose text mentions httpMethod is still no proxy event.
	if _, ok := DecodeProxyRequest([]byte(`{"Records": [{"body": "{\"httpMethod\": \"POST\"}"}]}`)); ok {
		t.Error("an SQS body mentioning httpMethod was taken for a proxy event")
	}
}

func TestDecodeInstance(t *testing.T) {
	inline, err := decodeInline([]byte(`{"model": "m", "input": {"features": [1, 2]}, "entity": {"id": "e-1"}}`),
		map[string]json.RawMessage{"model": nil, "input": nil, "entity": nil}, "x")
	if err != nil {
		t.Fatal(err)
	}
	j, err := DecodeInstance("m", json.RawMessage(`{"features": [1,2], "entity": {"id": "e-1"}}`))
	if err != nil || string(j.Input.Features) != `{"features":[1,2]}` || j.Entity["id"] != "e-1" || j.Model != "m" {
		t.Fatalf("got %+v, %v", j, err)
	}
	if j.PayloadHash != inline.PayloadHash {
		t.Errorf("an instance hashes %s, the same inline job %s", j.PayloadHash, inline.PayloadHash)
	}
	for _, bad := range []string{`[1]`, `{"features": [1], "data_base64": "AA"}`, `{"features": [1], "entity": []}`, `{"entity": {"id": "x"}}`, `{"bogus": 1}`} {
		if _, err := DecodeInstance("", json.RawMessage(bad)); CodeOf(err) != CodeMalformedJob {
			t.Errorf("%s: %v, want malformed_job", bad, err)
		}
	}
}
