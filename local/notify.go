package local

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// S3Notification is the body S3 sends to an SQS queue when an object is
// created, in S3's own format: the emulators do not deliver bucket
// notifications, so the demo and the tests send them. Keys are URL-encoded
// the way S3 encodes them (a space becomes '+').
func S3Notification(region, bucket, key, etag string, size int64) string {
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]any{"principalId": "AWS:LOCAL"},
		"requestParameters": map[string]any{"sourceIPAddress": "127.0.0.1"},
		"responseElements":  map[string]any{"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "inbox-to-jobs",
			"bucket": map[string]any{"name": bucket, "ownerIdentity": map[string]any{"principalId": "LOCAL"}, "arn": "arn:aws:s3:::" + bucket},
			"object": map[string]any{"key": encodeKey(key), "size": size, "eTag": strings.Trim(etag, `"`), "sequencer": "0055AED6DCD90281E5"},
		},
	}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

// encodeKey encodes like S3 notifications do: form encoding, with '/' kept.
func encodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}
