package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// startAPI runs `batchinfer api` on a free loopback port against the
// system's queue and table and returns its base URL.
func (s *system) startAPI(env ...string) string {
	s.t.Helper()
	addr := testenv.FreeAddr(s.t)
	cmd := exec.Command(binary, "api", "--addr", addr)
	cmd.Env = append(append(emu.Environ(),
		"BATCHINFER_QUEUE_URL="+s.prov.QueueURL, "BATCHINFER_RESULTS_TABLE="+s.spec.Table,
		"BATCHINFER_INPUT_BUCKETS="+s.spec.InputBucket), env...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start batchinfer api: %v", err)
	}
	s.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("batchinfer api did not listen on %s:\n%s", addr, s.logs.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpJSON(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %d, body not JSON: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// A client of the real binary's front door: the API's answers, then the
// job it accepted run by the function and read back through the API.
func TestAPIBinaryToResult(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"iris-rf"}})
	base := s.startAPI("BATCHINFER_API_KEYS=plain-key,sha256:"+sha256Hex("hashed-key"), "BATCHINFER_API_RATE=50", "BATCHINFER_API_BURST=5")

	for _, tc := range []struct {
		name, method, path, key, body string
		status                        int
	}{
		{"no key", "POST", "/v1/jobs", "", `{"input": {"features": [1, 2, 3, 4]}}`, 403},
		{"bad body", "POST", "/v1/jobs", "plain-key", `{"input": {"features": [1]}, "typo": 1}`, 400},
		{"too long", "POST", "/v1/jobs", "plain-key", `{"input": {"data_base64": "` + strings.Repeat("A", 300<<10) + `"}}`, 413},
		{"absent", "GET", "/v1/jobs/nothing-here", "hashed-key", ``, 404},
	} {
		if got, body := httpJSON(t, tc.method, base+tc.path, tc.key, tc.body); got != tc.status {
			t.Errorf("%s: %d %v, want %d", tc.name, got, body, tc.status)
		}
	}

	ids := map[string]bool{}
	for i := range 3 {
		body := fmt.Sprintf(`{"input": {"features": [5.1, 3.5, 1.4, %.1f]}}`, 0.2+float64(i)/10)
		if i == 0 {
			body = `{"job_id": "api-e2e-own", "input": {"features": [5.1, 3.5, 1.4, 0.2]}}`
		}
		status, a := httpJSON(t, "POST", base+"/v1/jobs", "hashed-key", body)
		id, _ := a["job_id"].(string)
		if status != 202 || a["status"] != "QUEUED" || id == "" {
			t.Fatalf("POST /v1/jobs: %d %v", status, a)
		}
		ids[id] = true
	}
	if !ids["api-e2e-own"] {
		t.Errorf("the job's own id was not kept: %v", ids)
	}
	for id := range ids {
		var item map[string]any
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			status, body := httpJSON(t, "GET", base+"/v1/jobs/"+id, "plain-key", "")
			if status == 200 && (body["status"] == "SUCCEEDED" || body["status"] == "FAILED") {
				item = body
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s not finished: %d %v\n%s", id, status, body, s.logs.Tail(30))
			}
		}
		out, _ := item["output"].(map[string]any)
		if item["status"] != "SUCCEEDED" || item["model"] != "iris-rf" || out["label"] == nil {
			t.Errorf("job %s: %v", id, item)
		}
	}

	// The burst of 5 at 50/s: a quick run of 20 requests meets 429.
	codes := map[int]int{}
	for range 20 {
		status, _ := httpJSON(t, "GET", base+"/v1/jobs/api-e2e-own", "plain-key", "")
		codes[status]++
	}
	if codes[429] == 0 || codes[200] == 0 {
		t.Errorf("20 quick requests answered %v, want some 200 and some 429", codes)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
