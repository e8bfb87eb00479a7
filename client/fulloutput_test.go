package client

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// objects is an S3 stand-in holding whole objects by URI.
type objects map[string]string

func (o objects) Fetch(_ context.Context, obj jobs.S3Object) ([]byte, error) {
	return []byte(o[obj.URI()]), nil
}

// A full output prints as JSON whatever its object holds: the worker's
// envelope, a record file's JSON lines (it used to fail to encode), other
// JSON; an object that is neither is an error.
func TestFullOutputEncodesEveryKindOfObject(t *testing.T) {
	objs := objects{
		"s3://results-bucket/results/one.json":   `{"job_id": "one", "output": {"text": "Total"}}`,
		"s3://results-bucket/results/file.jsonl": "{\"id\": 1, \"output\": {\"label\": \"setosa\"}}\n{\"id\": 2, \"error\": {\"code\": \"wrong_feature_count\"}}\n",
		"s3://results-bucket/results/raw.json":   `[1, 2]`,
		"s3://results-bucket/results/bad.txt":    "not json\n",
	}
	cases := map[string]string{
		"one.json":   `{"text":"Total"}`,
		"file.jsonl": `[{"id":1,"output":{"label":"setosa"}},{"id":2,"error":{"code":"wrong_feature_count"}}]`,
		"raw.json":   `[1,2]`,
	}
	for name, want := range cases {
		out, err := FullOutput(context.Background(), objs, &store.Record{JobID: name, OutputURI: "s3://results-bucket/results/" + name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(out)
		if err != nil || string(b) != want {
			t.Errorf("%s: %s, %v; want %s", name, b, err, want)
		}
	}
	if _, err := FullOutput(context.Background(), objs, &store.Record{JobID: "bad", OutputURI: "s3://results-bucket/results/bad.txt"}); err == nil {
		t.Error("an output that is not JSON was taken")
	}
}
