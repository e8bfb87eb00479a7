package api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

func TestPostJob(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		name, body string
		wantID     string // "" = the request id
	}{
		{"own id", `{"job_id": "invoice-42", "model": "iris-rf", "input": {"features": [5.1, 3.5, 1.4, 0.2]}, "metadata": {"k": "v"}}`, "invoice-42"},
		{"request id", `{"input": {"s3": "s3://inbox/scan.png"}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, f.url, http.MethodPost, "/v1/jobs", testKey, []byte(tc.body))
			want := tc.wantID
			if want == "" {
				want = a.header.Get("x-amzn-RequestId")
			}
			if a.status != http.StatusAccepted || a.body["job_id"] != want || a.body["status"] != "QUEUED" {
				t.Fatalf("answer %d %v, want 202 job_id %q QUEUED", a.status, a.body, want)
			}
			if got := queuedJobID(t, f); got != want {
				t.Errorf("the queued message's job_id is %q, want %q", got, want)
			}
		})
	}
}

// queuedJobID receives the one message the test queued and returns its
// body's job_id.
func queuedJobID(t *testing.T, f *fixture) string {
	t.Helper()
	msgs, err := f.queue.Receive(context.Background(), 10, 2*time.Second, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %d messages, %v; want 1", len(msgs), err)
	}
	if err := f.queue.Delete(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	var b struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &b); err != nil {
		t.Fatal(err)
	}
	return b.JobID
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, Config{})
	big := `{"input": {"data_base64": "` + strings.Repeat("A", MaxBodyBytes) + `"}}`
	for _, tc := range []struct {
		name, method, path, key, body string
		status                        int
		message, code                 string
	}{
		{"no key", "POST", "/v1/jobs", "", `{"input": {"features": [1]}}`, 403, "Forbidden", ""},
		{"wrong key", "GET", "/v1/jobs/x", "nope", ``, 403, "Forbidden", ""},
		{"unknown route", "GET", "/v2/things", testKey, ``, 403, "Missing Authentication Token", ""},
		{"too long", "POST", "/v1/jobs", testKey, big, 413, "Request Too Long", ""},
		{"not json", "POST", "/v1/jobs", testKey, `nope`, 400, "", "malformed_job"},
		{"no input", "POST", "/v1/jobs", testKey, `{"model": "iris-rf"}`, 400, "", "malformed_job"},
		{"unknown field", "POST", "/v1/jobs", testKey, `{"input": {"features": [1]}, "modle": "x"}`, 400, "", "malformed_job"},
		{"bad job_id", "POST", "/v1/jobs", testKey, `{"job_id": "a b", "input": {"features": [1]}}`, 400, "", "malformed_job"},
		{"s3 event", "POST", "/v1/jobs", testKey, `{"Records": [], "input": {}}`, 400, "", "malformed_job"},
		{"bad base64", "POST", "/v1/jobs", testKey, `{"input": {"data_base64": "!!"}}`, 400, "", "malformed_job"},
		{"missing job", "GET", "/v1/jobs/never-sent", testKey, ``, 404, "Not Found", ""},
		{"upload too big", "POST", "/v1/uploads", testKey, `{"size": 99999999999}`, 400, "", "input_too_large"},
		{"upload unknown field", "POST", "/v1/uploads", testKey, `{"size": 1, "bytes": 2}`, 400, "", "malformed_job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, f.url, tc.method, tc.path, tc.key, []byte(tc.body))
			if a.status != tc.status || (tc.message != "" && a.body["message"] != tc.message) || (tc.code != "" && a.body["code"] != tc.code) {
				t.Errorf("answer %d %v, want %d message %q code %q", a.status, a.body, tc.status, tc.message, tc.code)
			}
		})
	}
	if msgs, _ := f.queue.Receive(context.Background(), 10, 0, 0); len(msgs) != 0 {
		t.Errorf("refused requests queued %d messages", len(msgs))
	}
}

func TestRateLimitPerKey(t *testing.T) {
	keys, err := ParseKeys("k1,k2")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{Keys: keys, Rate: 0.01, Burst: 2})
	var got []int
	for _, k := range []string{"k1", "k1", "k1", "k2"} {
		got = append(got, call(t, f.url, http.MethodGet, "/v1/jobs/x", k, nil).status)
	}
	if want := []int{404, 404, 429, 404}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v (k1 over its burst of 2; k2 has its own)", got, want)
	}
}

func equalInts(a, b []int) bool {
	return len(a) == len(b) && string(mustJSON(a)) == string(mustJSON(b))
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestGetJob(t *testing.T) {
	f := newFixture(t, Config{})
	inline := store.Record{JobID: "inline-1", Status: "SUCCEEDED", Model: "iris-rf", ModelVersion: "1", Input: "inline",
		Output: map[string]any{"label": "setosa"}, Attempts: 1, ClaimToken: "secret", PayloadHash: "h", CreatedAt: "2026-01-01T00:00:00Z"}
	inS3 := store.Record{JobID: "s3-out", Status: "SUCCEEDED", Model: "ppocr-rec", Input: "s3://inbox/a.png",
		Output: map[string]any{"text": "hello"}, OutputURI: "s3://results/results/s3-out.json", Attempts: 2}
	failed := store.Record{JobID: "bad-1", Status: "FAILED", Input: "inline", Error: &store.ErrorInfo{Code: "wrong_feature_count", Message: "want 4"}, Attempts: 1}
	for _, rec := range []store.Record{inline, inS3, failed} {
		putItem(t, f, rec)
	}
	for _, tc := range []struct {
		id   string
		want map[string]any
	}{
		{"inline-1", map[string]any{"status": "SUCCEEDED", "output": map[string]any{"label": "setosa"}, "model_version": "1"}},
		{"s3-out", map[string]any{"output_uri": "s3://results/results/s3-out.json", "output": map[string]any{"text": "hello"}}},
		{"bad-1", map[string]any{"status": "FAILED", "error": map[string]any{"code": "wrong_feature_count", "message": "want 4"}}},
	} {
		a := call(t, f.url, http.MethodGet, "/v1/jobs/"+tc.id, testKey, nil)
		if a.status != 200 || a.body["job_id"] != tc.id {
			t.Fatalf("GET %s: %d %v", tc.id, a.status, a.body)
		}
		for k, v := range tc.want {
			if string(mustJSON(a.body[k])) != string(mustJSON(v)) {
				t.Errorf("GET %s: %s = %v, want %v", tc.id, k, a.body[k], v)
			}
		}
		for _, secret := range []string{"claim_token", "payload_hash", "lease_expires_at"} {
			if _, ok := a.body[secret]; ok {
				t.Errorf("GET %s shows %s", tc.id, secret)
			}
		}
		if _, ok := a.body["output_uri"]; ok != (tc.id == "s3-out") {
			t.Errorf("GET %s: output_uri present = %v", tc.id, ok)
		}
	}
}

func putItem(t *testing.T, f *fixture, rec store.Record) {
	t.Helper()
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.spec.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// An upload answers a presigned PUT and how to find its job; with the
// content's MD5 it also answers the job id, which is the id the object's
// notification gives the job (its ETag is that MD5).
func TestUpload(t *testing.T) {
	f := newFixture(t, Config{})
	payload := []byte("a file too large for a request body, in spirit")
	sum := md5.Sum(payload)
	for _, tc := range []struct{ name, md5 string }{
		{"no md5", ""}, {"md5 base64", base64.StdEncoding.EncodeToString(sum[:])}, {"md5 hex", hex.EncodeToString(sum[:])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, f.url, http.MethodPost, "/v1/uploads", testKey, mustJSON(UploadRequest{Filename: "../My Scan.png", ContentType: "image/png", Size: int64(len(payload)), ContentMD5: tc.md5}))
			if a.status != 200 {
				t.Fatalf("answer %d %v", a.status, a.body)
			}
			key, _ := a.body["key"].(string)
			if !strings.HasPrefix(key, DefaultUploadPrefix) || !strings.HasSuffix(key, "/My_Scan.png") || a.body["method"] != "PUT" {
				t.Fatalf("answer %v: want a PUT under %s ending /My_Scan.png", a.body, DefaultUploadPrefix)
			}
			if find, _ := a.body["find_job"].(string); find == "" {
				t.Errorf("answer %v does not say how to find the job", a.body)
			}
			// S3 refuses other bytes under a signed Content-MD5 (fauxqs does
			// not check it: the header is what can be checked here).
			if h, _ := a.body["headers"].(map[string]any); tc.md5 != "" && h["Content-Md5"] != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("headers %v: want Content-Md5 signed", h)
			}
			if code := putUpload(t, a.body, payload); code != 200 {
				t.Fatalf("PUT to the presigned URL: %d", code)
			}
			head, err := store.NewS3Client(awsCfg).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(f.spec.InputBucket), Key: aws.String(key)})
			if err != nil || aws.ToInt64(head.ContentLength) != int64(len(payload)) || aws.ToString(head.ContentType) != "image/png" {
				t.Fatalf("the uploaded object: %+v, %v", head, err)
			}
			notified := jobs.DecodeMessage(events.SQSMessage{MessageId: "m", Body: jobs.S3Notification("us-east-1",
				jobs.S3Object{Bucket: f.spec.InputBucket, Key: key, ETag: aws.ToString(head.ETag), Size: int64(len(payload))})})
			want := ""
			if tc.md5 != "" {
				want = notified.Jobs[0].ID
			}
			if got, _ := a.body["job_id"].(string); got != want {
				t.Errorf("job_id %q, want %q (the notification's job)", got, want)
			}
		})
	}
	a := call(t, f.url, http.MethodPost, "/v1/uploads", testKey, []byte(`{"size": 3, "content_md5": "not-an-md5"}`))
	if a.status != 400 || a.body["code"] != "malformed_job" {
		t.Errorf("a bad content_md5: %d %v", a.status, a.body)
	}
}

// putUpload PUTs body as an upload answer says and returns the status.
func putUpload(t *testing.T, ans map[string]any, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, ans["url"].(string), bytes.NewReader(body))
	for k, v := range ans["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT to the presigned URL: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
