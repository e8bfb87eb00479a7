package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/store"
)

// localSystem is what `batchinfer local run` starts: the real binary
// under RIE, the event source mapping, and the inbox's notifications.
func localSystem(t *testing.T, ortLib string) (local.SystemOptions, *local.System, error) {
	t.Helper()
	name := resourceName(t)
	opts := local.SystemOptions{
		Resources: store.ProvisionSpec{InputBucket: "in-" + name, ResultsBucket: "out-" + name,
			Queue: "q-" + name, DLQ: "dlq-" + name, Table: "t-" + name, MaxReceives: 3},
		RIEPath: testenv.Tool(t, "aws-lambda-rie"), Binary: binary,
		Models: []string{testenv.ModelDir(t, "iris-rf")}, ORTLib: ortLib,
		FunctionEnv: emu.Environ(), FunctionTimeout: 30 * time.Second, BatchSize: 10, Window: 200 * time.Millisecond,
		Inbox: local.InboxOptions{Deliver: true, StatePath: filepath.Join(t.TempDir(), "inbox.json")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sys, err := local.StartSystem(ctx, emu.Config(ctx), opts)
	if err == nil {
		t.Cleanup(func() { sys.Stop() })
	}
	return opts, sys, err
}

// irisSystem is localSystem serving iris-rf with the ONNX Runtime setup
// installed; it must start.
func irisSystem(t *testing.T) (local.SystemOptions, *local.System) {
	t.Helper()
	opts, sys, err := localSystem(t, testenv.ORTLib(t))
	if err != nil {
		t.Fatal(err)
	}
	return opts, sys
}

// A function that cannot start stops `local run` at once with the
// function's own init error, instead of failing batch after batch.
func TestLocalRunExitsWithTheInitError(t *testing.T) {
	start := time.Now()
	_, _, err := localSystem(t, "/no/such/libonnxruntime.so.1")
	var ie *local.InitError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "batchinfer lambda:") || !strings.Contains(err.Error(), "/no/such/libonnxruntime.so.1") {
		t.Fatalf("StartSystem = %v; want an InitError quoting the function's own error", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

// 50 files PUT into the local inbox with a plain S3 client end as 50
// results: the inbox's notifications reach the function as S3's would.
func TestLocalInboxPutsBecomeResults(t *testing.T) {
	opts, _ := irisSystem(t)
	ctx := context.Background()
	cfg := emu.Config(ctx)
	c := store.NewS3Client(cfg)
	bucket := opts.Resources.InputBucket
	var ids []string
	for i := range 50 {
		key := fmt.Sprintf("drop/flower %02d.json", i)
		body := fmt.Sprintf(`{"features": [%.1f, 3.0, %.1f, 0.2]}`, 4.5+float64(i%10)/10, 1.2+float64(i%5)/10)
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, jobs.ObjectJobID(bucket, key, "", aws.ToString(out.ETag)))
	}
	r := &store.Results{Client: dynamodb.NewFromConfig(cfg), Table: opts.Resources.Table}
	pending := map[string]bool{}
	for _, id := range ids {
		pending[id] = true
	}
	for deadline := time.Now().Add(90 * time.Second); len(pending) > 0; time.Sleep(300 * time.Millisecond) {
		for id := range pending {
			rec, err := r.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rec != nil && store.Status(rec.Status).Final() {
				if rec.Status != "SUCCEEDED" || !strings.HasPrefix(rec.Input, "s3://"+bucket+"/drop/flower ") {
					t.Errorf("job %s: %s %s %+v", id, rec.Status, rec.Input, rec.Error)
				}
				delete(pending, id)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 50 dropped files have no result", len(pending))
		}
	}
}
