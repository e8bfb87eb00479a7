package jobs

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestS3NotificationRoundTrips(t *testing.T) {
	for _, obj := range []S3Object{
		{Bucket: "inbox", Key: "scans/line 01 (copy)+x.png", ETag: `"abc"`, Size: 12},
		{Bucket: "inbox", Key: "ünïcode/ключ.png", VersionID: "v2", ETag: "def"},
	} {
		m := DecodeMessage(events.SQSMessage{MessageId: "m", Body: S3Notification("us-east-1", obj)})
		if m.Err != nil || len(m.Jobs) != 1 {
			t.Fatalf("%q: decoded %+v", obj.Key, m)
		}
		got := m.Jobs[0]
		if got.Input.S3 == nil || got.Input.S3.Key != obj.Key || got.Input.S3.Bucket != obj.Bucket || got.Input.S3.VersionID != obj.VersionID {
			t.Errorf("%q: input %+v", obj.Key, got.Input.S3)
		}
		if want := ObjectJobID(obj.Bucket, obj.Key, obj.VersionID, obj.ETag); got.ID != want {
			t.Errorf("%q: id %s, want %s", obj.Key, got.ID, want)
		}
	}
}
