package fakelogs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

func post(t *testing.T, url, target string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestServerPagesAndRefuses(t *testing.T) {
	s := Start("/aws/lambda/f", []string{"a", "b", "c"}, 2)
	defer s.Close()
	const op = "Logs_20140328.FilterLogEvents"
	code, first := post(t, s.URL, op, map[string]any{"logGroupName": "/aws/lambda/f", "startTime": 5})
	if code != 200 || len(first["events"].([]any)) != 2 || first["nextToken"] != "2" {
		t.Fatalf("first page %d %v", code, first)
	}
	code, second := post(t, s.URL, op, map[string]any{"logGroupName": "/aws/lambda/f", "nextToken": "2"})
	if code != 200 || len(second["events"].([]any)) != 1 || second["nextToken"] != nil {
		t.Fatalf("second page %d %v", code, second)
	}
	if code, out := post(t, s.URL, op, map[string]any{"logGroupName": "other"}); code != 400 || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("unknown group: %d %v", code, out)
	}
	if code, _ := post(t, s.URL, "Logs_20140328.PutLogEvents", map[string]any{}); code != 400 {
		t.Fatalf("another operation answered %d", code)
	}
	if reqs := s.Requests(); len(reqs) != 3 || reqs[0].StartTime != 5 {
		t.Fatalf("recorded %+v", reqs)
	}
}
