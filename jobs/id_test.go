package jobs

import (
	"regexp"
	"strings"
	"testing"
)

var objectIDPattern = regexp.MustCompile(`^s3-[0-9a-f]{32}$`)

func TestObjectJobID(t *testing.T) {
	base := ObjectJobID("inbox", "a/b.png", "v1", "e1")
	if !objectIDPattern.MatchString(base) {
		t.Fatalf("id %q does not look like s3-<32 hex>", base)
	}
	tests := []struct {
		name                       string
		bucket, key, version, etag string
		same                       bool
	}{
		{"identical", "inbox", "a/b.png", "v1", "e1", true},
		{"versioned: etag does not matter", "inbox", "a/b.png", "v1", "other", true},
		{"other version", "inbox", "a/b.png", "v2", "e1", false},
		{"other key", "inbox", "a/c.png", "v1", "e1", false},
		{"other bucket", "inbox2", "a/b.png", "v1", "e1", false},
		{"field boundary", "inboxa", "/b.png", "v1", "e1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObjectJobID(tt.bucket, tt.key, tt.version, tt.etag); (got == base) != tt.same {
				t.Errorf("id %s vs %s: same=%v, want %v", got, base, got == base, tt.same)
			}
		})
	}
	// Unversioned: the ETag tells rewrites apart; quotes and "null" do not matter.
	u := ObjectJobID("inbox", "a/b.png", "", "e1")
	if u == base || u != ObjectJobID("inbox", "a/b.png", "null", `"e1"`) || u == ObjectJobID("inbox", "a/b.png", "", "e2") {
		t.Errorf("unversioned ids do not follow the ETag")
	}
}

// Duplicate notifications of one object, whichever way they arrive, land
// on one id; another version of it does not.
func TestDuplicateNotificationsShareID(t *testing.T) {
	direct := mustJobs(t, decode(bodyFile(t, "s3-put-unversioned.json")), 1)[0]
	again := mustJobs(t, DecodeMessage(sqsRecord("msg-2", bodyFile(t, "s3-put-unversioned.json"))), 1)[0]
	viaSNS := mustJobs(t, decode(bodyFile(t, "sns-s3-event.json")), 1)[0]
	for _, j := range []Job{again, viaSNS} {
		if j.ID != direct.ID || j.PayloadHash != direct.PayloadHash {
			t.Errorf("duplicate got %s/%s, want %s/%s", j.ID, j.PayloadHash, direct.ID, direct.PayloadHash)
		}
	}
	versioned := mustJobs(t, decode(bodyFile(t, "s3-put-versioned.json")), 1)[0]
	if versioned.ID == direct.ID {
		t.Errorf("a versioned object shares the unversioned id %s", direct.ID)
	}
	// The same object and version announced by EventBridge (ETag and
	// version as in the notification) is the same job.
	eb := mustJobs(t, decode(strings.Replace(bodyFile(t, "eventbridge-object-created.json"),
		"lines/2024-03-14T09:26:53 line 7.png", "lines/line-0001.png", 1)), 1)[0]
	if want := ObjectJobID("batchinfer-inbox", "lines/line-0001.png", "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", ""); eb.ID != want {
		t.Errorf("EventBridge id %s, want %s", eb.ID, want)
	}
}

func TestPayloadHash(t *testing.T) {
	hash := func(body string) string { return mustJobs(t, decode(body), 1)[0].PayloadHash }
	base := hash(`{"job_id":"j1","model":"iris-rf","input":{"features":[1,2]},"metadata":{"a":1,"b":"x"}}`)
	if len(base) != 64 {
		t.Fatalf("hash %q is not hex sha256", base)
	}
	tests := []struct {
		name, body string
		same       bool
	}{
		{"whitespace and key order", "{ \"metadata\": {\"b\":\"x\", \"a\":1},\n \"input\": {\"features\": [ 1, 2 ]}, \"model\": \"iris-rf\", \"job_id\": \"j1\" }", true},
		{"job_id is not payload", `{"job_id":"j2","model":"iris-rf","input":{"features":[1,2]},"metadata":{"a":1,"b":"x"}}`, true},
		{"other model", `{"job_id":"j1","model":"iris-rf2","input":{"features":[1,2]},"metadata":{"a":1,"b":"x"}}`, false},
		{"default model", `{"job_id":"j1","input":{"features":[1,2]},"metadata":{"a":1,"b":"x"}}`, false},
		{"other features", `{"job_id":"j1","model":"iris-rf","input":{"features":[1,3]},"metadata":{"a":1,"b":"x"}}`, false},
		{"features order", `{"job_id":"j1","model":"iris-rf","input":{"features":[2,1]},"metadata":{"a":1,"b":"x"}}`, false},
		{"other metadata", `{"job_id":"j1","model":"iris-rf","input":{"features":[1,2]},"metadata":{"a":2,"b":"x"}}`, false},
		{"no metadata", `{"job_id":"j1","model":"iris-rf","input":{"features":[1,2]}}`, false},
		{"other input kind", `{"job_id":"j1","model":"iris-rf","input":{"data_base64":"AQI="},"metadata":{"a":1,"b":"x"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hash(tt.body); (got == base) != tt.same {
				t.Errorf("same=%v, want %v", got == base, tt.same)
			}
		})
	}
	// Inputs of each kind hash differently from each other and stably.
	d1, d2 := hash(`{"input":{"data_base64":"AQI="}}`), hash(`{"input":{"data_base64":"AQM="}}`)
	s1, s2 := hash(`{"input":{"s3":"s3://bkt/a"}}`), hash(`{"input":{"s3":"s3://bkt/b"}}`)
	if d1 == d2 || s1 == s2 || d1 != hash(`{"input":{"data_base64":"AQI"}}`) {
		t.Errorf("data or s3 hashes are not sensitive/stable")
	}
}
