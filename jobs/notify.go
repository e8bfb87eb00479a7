package jobs

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// S3Notification encodes the body S3 sends to an SQS queue when obj is
// created, in S3's own format (event version 2.1, the key URL-encoded with
// '+' for a space). The local emulators deliver no bucket notifications,
// so the demo, `reprocess` and the tests send these themselves; decoding
// one gives back a job with ObjectJobID of the same object.
func S3Notification(region string, obj S3Object) string {
	object := map[string]any{
		"key":       strings.ReplaceAll(url.QueryEscape(obj.Key), "%2F", "/"),
		"size":      obj.Size,
		"eTag":      strings.Trim(obj.ETag, `"`),
		"sequencer": "0055AED6DCD90281E5",
	}
	if obj.VersionID != "" {
		object["versionId"] = obj.VersionID
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]any{"principalId": "AWS:BATCHINFER"},
		"requestParameters": map[string]any{"sourceIPAddress": "127.0.0.1"},
		"responseElements":  map[string]any{"x-amz-request-id": "BATCHINFER", "x-amz-id-2": "BATCHINFER"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "batchinfer",
			"bucket": map[string]any{"name": obj.Bucket, "ownerIdentity": map[string]any{"principalId": "BATCHINFER"}, "arn": "arn:aws:s3:::" + obj.Bucket},
			"object": object,
		},
	}}}
	b, _ := json.Marshal(ev) // maps of strings and numbers always encode
	return string(b)
}
