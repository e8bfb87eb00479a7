package jobs

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// s3Record is one record of an S3 event notification. It is decoded with
// our own type rather than events.S3EventRecord so that a bad key escape or
// an odd eventTime fails only this record, with our error code.
type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	S3          *struct {
		Bucket s3Bucket `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			VersionID string `json:"versionId"`
			ETag      string `json:"eTag"`
		} `json:"object"`
	} `json:"s3"`
}

// s3Bucket is the bucket as S3 notifications and EventBridge events both
// name it; their objects differ (eTag and versionId there, etag and
// version-id here).
type s3Bucket struct {
	Name string `json:"name"`
}

// s3Event is the S3 event notification body (and a direct S3 invoke).
type s3Event struct {
	Records []json.RawMessage `json:"Records"`
}

// decodeS3Notification turns an S3 event notification body into jobs, one
// per ObjectCreated record. Records of other events carry no work; when no
// record makes a job the reason is returned. Any bad record fails the body.
func decodeS3Notification(body []byte) ([]Job, string, error) {
	var ev s3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, "", Wrap(CodeMalformedJob, err, `S3 event notification: "Records" must be an array of records`)
	}
	if len(ev.Records) == 0 {
		return nil, "", Errorf(CodeMalformedJob, "S3 event notification has no Records")
	}
	var jobs []Job
	var skipped []string
	for i, raw := range ev.Records {
		j, reason, err := decodeS3Record(raw)
		if err != nil {
			return nil, "", prefixErr(err, "record %d", i)
		}
		if reason != "" {
			skipped = append(skipped, reason)
			continue
		}
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil, strings.Join(skipped, "; "), nil
	}
	return jobs, "", nil
}

// decodeS3Record decodes one S3 notification record: a job for
// ObjectCreated:*, else the reason it carries no work.
func decodeS3Record(raw json.RawMessage) (Job, string, error) {
	var r s3Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Job{}, "", Wrap(CodeMalformedJob, err, "S3 event record")
	}
	if r.EventSource != "aws:s3" {
		return Job{}, "", Errorf(CodeMalformedJob, `S3 event record has eventSource %q, want "aws:s3"`, truncate(r.EventSource))
	}
	if r.S3 == nil {
		return Job{}, "", Errorf(CodeMalformedJob, `S3 event record %q has no "s3" entity`, truncate(r.EventName))
	}
	// Notifications say "ObjectCreated:Put"; the configuration (and some
	// producers) say "s3:ObjectCreated:Put".
	name := strings.TrimPrefix(r.EventName, "s3:")
	if !strings.HasPrefix(name, "ObjectCreated:") {
		if name == "" {
			return Job{}, "", Errorf(CodeMalformedJob, "S3 event record has no eventName")
		}
		return Job{}, fmt.Sprintf("S3 event %s carries no work (only ObjectCreated:* events make jobs)", truncate(name)), nil
	}
	// Keys are form-encoded: "+" is a space and "%2B" a plus.
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return Job{}, "", Wrap(CodeMalformedJob, err, "S3 object key %q is not URL-encoded as S3 sends it", truncate(r.S3.Object.Key))
	}
	o := S3Object{
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		VersionID: r.S3.Object.VersionID,
		ETag:      normalizeETag(r.S3.Object.ETag),
		Size:      r.S3.Object.Size,
	}
	j, err := objectJob(o)
	return j, "", err
}

// eventBridgeEvent is an EventBridge event as a rule delivers it to SQS.
type eventBridgeEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

type eventBridgeS3Detail struct {
	Bucket s3Bucket `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
	} `json:"object"`
}

// decodeEventBridge turns an aws.s3 "Object Created" EventBridge event into
// a job; other aws.s3 detail types carry no work.
func decodeEventBridge(body []byte) ([]Job, string, error) {
	var ev eventBridgeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, "", Wrap(CodeMalformedJob, err, "EventBridge event")
	}
	if ev.Source != "aws.s3" {
		return nil, "", Errorf(CodeMalformedJob, `EventBridge event from source %q: only "aws.s3" "Object Created" events are accepted`, truncate(ev.Source))
	}
	if ev.DetailType != "Object Created" {
		return nil, fmt.Sprintf("EventBridge aws.s3 event %q carries no work (only \"Object Created\" makes jobs)", truncate(ev.DetailType)), nil
	}
	var d eventBridgeS3Detail
	if isNull(ev.Detail) {
		return nil, "", Errorf(CodeMalformedJob, `EventBridge "Object Created" event has no "detail"`)
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, "", Wrap(CodeMalformedJob, err, `EventBridge "Object Created" detail`)
	}
	// Unlike notifications, EventBridge carries the key as-is (not
	// URL-encoded): AWS's own samples show keys with raw ":".
	j, err := objectJob(S3Object{
		Bucket:    d.Bucket.Name,
		Key:       d.Object.Key,
		VersionID: d.Object.VersionID,
		ETag:      normalizeETag(d.Object.ETag),
		Size:      d.Object.Size,
	})
	if err != nil {
		return nil, "", err
	}
	return []Job{j}, "", nil
}

// objectJob validates o and makes its job.
func objectJob(o S3Object) (Job, error) {
	if err := checkBucket(o.Bucket); err != nil {
		return Job{}, err
	}
	if err := checkKey(o.Key); err != nil {
		return Job{}, err
	}
	if o.Size < 0 {
		return Job{}, Errorf(CodeMalformedJob, "S3 object size %d is negative", o.Size)
	}
	if o.VersionID == "null" { // S3's spelling of "no version" in suspended buckets
		o.VersionID = ""
	}
	j := Job{ID: ObjectJobID(o.Bucket, o.Key, o.VersionID, o.ETag), Input: Input{S3: &o}}
	h, err := payloadHash(&j)
	if err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "S3 object job")
	}
	j.PayloadHash = h
	return j, nil
}

// s3TestEvent is what S3 sends once when a notification configuration is
// saved.
type s3TestEvent struct {
	Service string `json:"Service"`
	Event   string `json:"Event"`
	Bucket  string `json:"Bucket"`
}

func decodeS3TestEvent(body []byte) ([]Job, string, error) {
	var ev s3TestEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, "", Wrap(CodeMalformedJob, err, "S3 test event")
	}
	if ev.Event != "s3:TestEvent" {
		return nil, "", Errorf(CodeMalformedJob, `unknown S3 service event %q (only "s3:TestEvent" is known)`, truncate(ev.Event))
	}
	return nil, fmt.Sprintf("s3:TestEvent for bucket %q", truncate(ev.Bucket)), nil
}
