package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/store"
)

// Submitting files again says what they already became instead of
// returning the old outcome silently; --rerun resets and runs them again.
// A file over the worker's input cap is refused before its upload, naming
// the limit (it used to upload and then break the connection).
func TestSubmitAgainSaysWhatFilesBecameAndRerunRunsThem(t *testing.T) {
	opts, sys := irisSystem(t) // iris-rf only: an image fails invalid_features
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range []string{"[5.1, 3.5, 1.4, 0.2]", "[6.7, 3.0, 5.2, 2.3]", "[5.9, 3.0, 4.2, 1.5]"} {
		write(string(rune('a'+i))+".json", []byte(`{"features": `+f+`}`))
	}
	write("scan.png", textimg.PNG("Total 12.50", textimg.Options{}))
	env := []string{"BATCHINFER_INPUT_BUCKETS=" + opts.Resources.InputBucket, "BATCHINFER_RESULTS_TABLE=" + opts.Resources.Table,
		"BATCHINFER_QUEUE_URL=" + sys.Prov.QueueURL, "BATCHINFER_MAX_INPUT_BYTES=1048576"}

	write("huge.png", make([]byte, 3<<20))
	out, errOut, err := runBinary(t, env, "", "submit", "--wait", "90s", dir)
	if err == nil || !strings.Contains(out, "huge.png") || !strings.Contains(out, "over the worker's input cap of 1048576 bytes (BATCHINFER_MAX_INPUT_BYTES)") {
		t.Fatalf("submit with a file over the cap: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	c := store.NewS3Client(emu.Config(context.Background()))
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(opts.Resources.InputBucket), Key: aws.String("huge.png")}); err == nil {
		t.Error("the file over the cap was uploaded")
	}
	if !strings.Contains(errOut, "summary: SUCCEEDED 3, FAILED 1 (errors: invalid_features 1)") {
		t.Fatalf("first submit:\n%s", errOut)
	}
	os.Remove(filepath.Join(dir, "huge.png"))
	r := &store.Results{Client: dynamodb.NewFromConfig(emu.Config(context.Background())), Table: opts.Resources.Table}
	scanID := strings.Split(strings.Split(out, `scan.png","s3":"s3://`+opts.Resources.InputBucket+`/scan.png","job_id":"`)[1], `"`)[0]
	before, err := r.Get(context.Background(), scanID)
	if err != nil || before == nil {
		t.Fatalf("scan.png's item: %v %v", before, err)
	}

	out, errOut, err = runBinary(t, env, "", "submit", dir)
	if err != nil || !strings.Contains(errOut, "3 already SUCCEEDED, 1 FAILED invalid_features: not sent again") || strings.Count(out, `"status":`) != 4 {
		t.Fatalf("submit again: %v\nstdout %s\nstderr %s", err, out, errOut)
	}

	out, errOut, err = runBinary(t, env, "", "submit", "--rerun", "--wait", "90s", dir)
	if err != nil || !strings.Contains(errOut, "3 already SUCCEEDED, 1 FAILED invalid_features: reset, sent again") ||
		!strings.Contains(errOut, "summary: SUCCEEDED 3, FAILED 1") {
		t.Fatalf("submit --rerun: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	after, err := r.Get(context.Background(), scanID)
	if err != nil || after == nil || after.Status != store.StatusFailed || after.ResetAt == 0 || after.UpdatedAt <= before.UpdatedAt {
		t.Errorf("scan.png after --rerun: %+v, %v; want FAILED again, reset and rewritten after %s", after, err, before.UpdatedAt)
	}

	// reprocess shows a bar of the jobs it went through on a terminal.
	screen, err := underTerminal(t, env, "reprocess", "--status", "FAILED", "--since", "1h", "--dry-run")
	if err != nil || !strings.Contains(screen, "jobs reprocessed") || !strings.Contains(screen, "would_requeue") {
		t.Errorf("reprocess on a terminal: %v\n%s", err, screen)
	}
}
