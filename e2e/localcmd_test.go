package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// `local up` prints export lines a shell evaluates (JSON with --json),
// keeps --visibility-timeout (it used to be overwritten by 6 × --timeout)
// and creates the completion topic with its watched queue; `local down`
// removes them and the inbox's delivery state, and says so.
func TestLocalUpDown(t *testing.T) {
	n := resourceName(t)
	state := filepath.Join(t.TempDir(), "inbox.json")
	flags := []string{"--inbox", "in-" + n, "--results-bucket", "out-" + n, "--queue", "q-" + n, "--dlq", "dlq-" + n,
		"--table", "t-" + n, "--topic", "topic-" + n, "--watch-queue", "w-" + n, "--inbox-state", state}
	up := append([]string{"local", "up", "--timeout", "5s", "--visibility-timeout", "45s"}, flags...)
	out, errOut, err := runBinary(t, nil, "", up...)
	if err != nil {
		t.Fatalf("local up: %v\n%s", err, errOut)
	}
	// What a user does with it: eval it in a shell and use the variables.
	sh := exec.Command("sh", "-c", out+"\nprintf '%s\\n' \"$BATCHINFER_QUEUE_URL\" \"$BATCHINFER_WATCH_QUEUE_URL\" \"$BATCHINFER_RESULTS_TABLE\"")
	got, err := sh.Output()
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "http") || !strings.Contains(lines[1], "w-"+n) || lines[2] != "t-"+n {
		t.Fatalf("local up printed %q; in a shell it gave %q, %v", out, got, err)
	}
	jsonOut, errOut, err := runBinary(t, nil, "", append(up, "--json")...)
	var vars map[string]string
	if err != nil || json.Unmarshal([]byte(jsonOut), &vars) != nil || vars["BATCHINFER_QUEUE_URL"] != lines[0] || vars["BATCHINFER_NOTIFY_TOPIC_ARN"] == "" {
		t.Fatalf("local up --json printed %q, %v\n%s", jsonOut, err, errOut)
	}
	c := sqs.NewFromConfig(emu.Config(context.Background()))
	attrs, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(vars["BATCHINFER_QUEUE_URL"]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
	if err != nil || attrs.Attributes["VisibilityTimeout"] != "45" {
		t.Errorf("jobs queue visibility %v, %v; want the flag's 45", attrs, err)
	}
	if err := os.WriteFile(state, []byte(`{"scan.png": "etag"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	down, errOut, err := runBinary(t, nil, "", append([]string{"local", "down"}, flags...)...)
	if err != nil {
		t.Fatalf("local down: %v\n%s", err, errOut)
	}
	if _, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("w-" + n)}); err == nil {
		t.Error("local down left the watched queue")
	}
	if _, err := os.Stat(state); err == nil || !strings.Contains(down, "removed the inbox delivery state "+state) || !strings.Contains(down, "t-"+n) {
		t.Errorf("local down printed %q; the state file: %v", down, err)
	}
}

// `local run` serves every installed model (pipelines first: the default
// is page OCR), and a route naming a model it does not serve stops
// start-up with a message listing the served ones.
func TestLocalRunRefusesARouteToAModelNotServed(t *testing.T) {
	n := resourceName(t)
	cmd := exec.Command(binary, "local", "run", "--inbox", "in-"+n, "--results-bucket", "out-"+n, "--queue", "q-"+n,
		"--dlq", "dlq-"+n, "--table", "t-"+n, "--topic", "topic-"+n, "--watch-queue", "w-"+n,
		"--inbox-state", filepath.Join(t.TempDir(), "inbox.json"), "--routes", "scans/=ppocr-page,tabular/=no-such-model")
	cmd.Dir = testenv.RepoRoot() // where .cache/models is
	cmd.Env = append(emu.Environ(), "ONNXRUNTIME_LIB="+testenv.ORTLib(t))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("local run started with a route to a model it does not serve:\n%s", out)
	}
	for _, want := range []string{`BATCHINFER_ROUTES: tabular/=no-such-model names model "no-such-model", which is not served`,
		"served: ppocr-page, ", " iris-rf, ", " ppocr-cls, ", " ppocr-rec, ", "minilm-sentiment"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("local run said:\n%s\nwant %q", out, want)
		}
	}
}
