package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/store"
)

// A file dropped in the inbox is findable by its object: `jobid` prints
// the id its notification gave the job (from the object, or from an ETag
// with or without quotes), and `results --input` shows that job.
func TestJobIDAndResultsByInput(t *testing.T) {
	opts, _ := irisSystem(t)
	ctx := context.Background()
	bucket, key := opts.Resources.InputBucket, "drop/my flower.json"
	put, err := store.NewS3Client(emu.Config(ctx)).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(`{"features": [6.7, 3.0, 5.2, 2.3]}`)})
	if err != nil {
		t.Fatal(err)
	}
	uri := "s3://" + bucket + "/" + key
	env := []string{"BATCHINFER_RESULTS_TABLE=" + opts.Resources.Table}
	out, errOut, err := runBinary(t, env, "", "results", "--json", "--wait", "60s", "--input", uri)
	var item map[string]any
	if err != nil || json.Unmarshal([]byte(out), &item) != nil {
		t.Fatalf("results --input: %v %q\n%s", err, out, errOut)
	}
	if item["status"] != "SUCCEEDED" || item["input"] != uri {
		t.Fatalf("results --input %s: %v", uri, item)
	}
	etag := aws.ToString(put.ETag)
	for _, args := range [][]string{{uri}, {uri, "--etag", etag}, {uri, "--etag", strings.Trim(etag, `"`)}} {
		out, errOut, err := runBinary(t, nil, "", append([]string{"jobid"}, args...)...)
		if got := strings.TrimSpace(out); err != nil || got != item["job_id"] {
			t.Errorf("jobid %v = %q, %v; want the job's %v\n%s", args, got, err, item["job_id"], errOut)
		}
	}
	if _, errOut, err := runBinary(t, nil, "", "jobid", "s3://"+bucket+"/no-such-object.png"); err == nil || !strings.Contains(errOut, "--etag") {
		t.Errorf("jobid of a missing object: %v %q", err, errOut)
	}
}
