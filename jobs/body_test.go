package jobs

import (
	"strings"
	"testing"
)

// objectsOf lists the S3 objects of m's jobs.
func objectsOf(t testing.TB, jobs []Job) []S3Object {
	t.Helper()
	var objs []S3Object
	for _, j := range jobs {
		if j.Input.S3 == nil {
			t.Fatalf("job %s has no S3 input", j.ID)
		}
		if j.ID != ObjectJobID(j.Input.S3.Bucket, j.Input.S3.Key, j.Input.S3.VersionID, j.Input.S3.ETag) {
			t.Errorf("job %s: id is not the object's id", j.ID)
		}
		objs = append(objs, *j.Input.S3)
	}
	return objs
}

func TestObjectBodies(t *testing.T) {
	const inbox, etag, etag2 = "batchinfer-inbox", "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	tests := []struct {
		file string
		want []S3Object
	}{
		{"s3-put-versioned.json", []S3Object{{inbox, "lines/line-0001.png", "096fKKXTRTtl3on89fVO.nfljtsv6qko", etag, 2048}}},
		{"s3-put-unversioned.json", []S3Object{{inbox, "lines/line-0001.png", "", etag, 2048}}},
		// "+" is a space, %2B a plus, %2F a slash, %28/%29 parentheses.
		{"s3-key-escaped.json", []S3Object{{inbox, "scans/2024/03/my first scan (2) + notes:1.png", "", etag, 2048}}},
		// Two created objects make two jobs; the delete marker makes none.
		{"s3-multi-records.json", []S3Object{
			{inbox, "lines/line-0001.png", "096fKKXTRTtl3on89fVO.nfljtsv6qko", etag, 2048},
			{inbox, "lines/line-0002.png", "Xy3dSzLOp9vDDU3DgJrX4PIGT4Lw2KFd", etag2, 2048},
		}},
		{"sns-s3-event.json", []S3Object{{inbox, "lines/line-0001.png", "", etag, 2048}}},
		// EventBridge keys are not URL-encoded: taken as they are.
		{"eventbridge-object-created.json", []S3Object{{inbox, "lines/2024-03-14T09:26:53 line 7.png", "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", etag, 2048}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := decode(bodyFile(t, tt.file))
			got := objectsOf(t, mustJobs(t, m, len(tt.want)))
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("job %d: %+v, want %+v", i, got[i], tt.want[i])
				}
				if m.Jobs[i].Model != "" || m.Jobs[i].Metadata != nil || len(m.Jobs[i].PayloadHash) != 64 {
					t.Errorf("job %d: model %q metadata %v hash %q", i, m.Jobs[i].Model, m.Jobs[i].Metadata, m.Jobs[i].PayloadHash)
				}
			}
		})
	}
}

func TestIgnoredBodies(t *testing.T) {
	tests := []struct{ file, reason string }{
		{"s3-test-event.json", "s3:TestEvent"},
		{"s3-delete.json", "ObjectRemoved:Delete"},
		{"eventbridge-object-deleted.json", "Object Deleted"},
		{"sns-subscription-confirmation.json", "SubscriptionConfirmation"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) { mustIgnored(t, decode(bodyFile(t, tt.file)), tt.reason) })
	}
	// A test event forwarded through SNS is ignored too.
	env := `{"Type":"Notification","MessageId":"m-1","TopicArn":"arn:aws:sns:us-west-2:1:t","Message":` +
		quote(bodyFile(t, "s3-test-event.json")) + `}`
	mustIgnored(t, decode(env), "s3:TestEvent")
}

func TestInlineBodies(t *testing.T) {
	tests := []struct {
		file, id, model, input string
		features               string
		data                   int
		meta                   map[string]any
	}{
		{"inline-s3.json", "invoice-2024-0042", "ppocr-rec", "s3://batchinfer-inbox/lines/line 0042.png", "", 0, map[string]any{"customer": "acme", "page": 3.0}},
		{"inline-features.json", "iris-0001", "iris-rf", "inline", `{"features":[5.1,3.5,1.4,0.2]}`, 0, map[string]any{"source": "nightly"}},
		{"inline-features-named.json", "msg-1", "", "inline", `{"features":{"sepal_length":6.7,"sepal_width":3.0,"petal_length":5.2,"petal_width":2.3}}`, 0, nil},
		{"inline-data.json", "upload-7", "", "inline", "", 70, nil},
		// Without a job_id, an SNS-wrapped job takes the SNS message id.
		{"sns-inline-job.json", "5f4c2f1e-3a7b-5d9e-8c1d-0b2a3c4d5e6f", "iris-rf", "inline", `{"features":[5.1,3.5,1.4,0.2]}`, 0, map[string]any{"batch": "2024-03-14"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			j := mustJobs(t, decode(bodyFile(t, tt.file)), 1)[0]
			if j.ID != tt.id || j.Model != tt.model || j.Input.String() != tt.input {
				t.Errorf("id %q model %q input %q", j.ID, j.Model, j.Input)
			}
			if string(j.Input.Features) != tt.features || len(j.Input.Data) != tt.data {
				t.Errorf("features %s, %d data bytes", j.Input.Features, len(j.Input.Data))
			}
			if !equalJSON(t, j.Metadata, tt.meta) {
				t.Errorf("metadata %v, want %v", j.Metadata, tt.meta)
			}
		})
	}
	// The data is the decoded bytes: a PNG.
	j := mustJobs(t, decode(bodyFile(t, "inline-data.json")), 1)[0]
	if !strings.HasPrefix(string(j.Input.Data), "\x89PNG\r\n") {
		t.Errorf("data %q is not the decoded PNG", j.Input.Data[:8])
	}
}

func TestRejectedBodies(t *testing.T) {
	tests := []struct {
		name, body string
		code       Code
		substr     string
	}{
		{"empty", ``, CodeMalformedJob, "not a JSON object"},
		{"text", `hello`, CodeMalformedJob, "not a JSON object"},
		{"array", `[{"input":{"s3":"s3://b-1/k"}}]`, CodeMalformedJob, "not a JSON object"},
		{"null", `null`, CodeMalformedJob, "not a JSON object"},
		{"trailing garbage", `{"input":{"s3":"s3://bkt/k"}} x`, CodeMalformedJob, "not a JSON object"},
		{"unknown shape", `{"hello":"world"}`, CodeMalformedJob, `"hello"`},
		{"empty object", `{}`, CodeMalformedJob, "accepted"},
		{"ambiguous", `{"Records":[],"input":{"s3":"s3://bkt/k"}}`, CodeMalformedJob, "ambiguous"},
		// S3 notifications.
		{"records not array", `{"Records":{}}`, CodeMalformedJob, "Records"},
		{"no records", `{"Records":[]}`, CodeMalformedJob, "no Records"},
		{"foreign record", `{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`, CodeMalformedJob, `"aws:sqs"`},
		{"no s3 entity", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}`, CodeMalformedJob, `no "s3"`},
		{"no event name", `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`, CodeMalformedJob, "no eventName"},
		{"bad escape", s3Body("lines/%zz.png", "b-1"), CodeMalformedJob, "not URL-encoded"},
		{"empty key", s3Body("", "b-1"), CodeMalformedJob, "empty S3 object key"},
		{"bad bucket", s3Body("k", "Bad_Bucket"), CodeMalformedJob, "bucket name"},
		{"size not a number", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b-1"},"object":{"key":"k","size":"big"}}}]}`, CodeMalformedJob, "S3 event record"},
		{"negative size", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b-1"},"object":{"key":"k","size":-1}}}]}`, CodeMalformedJob, "negative"},
		{"one bad record of two", `{"Records":[` + s3Rec("good", "b-1") + `,` + s3Rec("%", "b-1") + `]}`, CodeMalformedJob, "record 1"},
		// S3 test event.
		{"other S3 service event", `{"Service":"Amazon S3","Event":"s3:Other"}`, CodeMalformedJob, "s3:Other"},
		// SNS.
		{"sns message not string", `{"Type":"Notification","Message":{"Records":[]}}`, CodeMalformedJob, "SNS envelope"},
		{"sns other type", `{"Type":"Weird","Message":"{}"}`, CodeMalformedJob, `"Weird"`},
		{"sns text message", `{"Type":"Notification","MessageId":"sns-9","Message":"hi"}`, CodeMalformedJob, "SNS message sns-9"},
		{"sns in sns", `{"Type":"Notification","Message":` + quote(`{"Type":"Notification","Message":"{}"}`) + `}`, CodeMalformedJob, "inside an SNS envelope"},
		{"sns bad inner job", `{"Type":"Notification","Message":` + quote(`{"input":{"s3":"nope"}}`) + `}`, CodeMalformedJob, "s3://"},
		// EventBridge.
		{"eventbridge other source", `{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`, CodeMalformedJob, `"aws.ec2"`},
		{"eventbridge no detail", `{"source":"aws.s3","detail-type":"Object Created"}`, CodeMalformedJob, "no \"detail\""},
		{"eventbridge no key", `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b-1"},"object":{}}}`, CodeMalformedJob, "empty S3 object key"},
		{"eventbridge bad detail", `{"source":"aws.s3","detail-type":"Object Created","detail":[]}`, CodeMalformedJob, "detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustMsgErr(t, decode(tt.body), tt.code, tt.substr) })
	}
}

// s3Rec is a minimal ObjectCreated record for key (URL-encoded) in bucket.
func s3Rec(key, bucket string) string {
	return `{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":` + quote(bucket) +
		`},"object":{"key":` + quote(key) + `,"size":3,"eTag":"e1"}}}`
}

func s3Body(key, bucket string) string { return `{"Records":[` + s3Rec(key, bucket) + `]}` }
