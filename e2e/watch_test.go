package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// `batchinfer watch` follows the queue subscribed to the completion topic
// and prints a line per finished job, once even when the event is
// delivered twice (at least once, deduplicated by notification_id), with
// its input and its result at a glance (a page's text, not its JSON).
func TestWatchPrintsALinePerFinishedJob(t *testing.T) {
	ctx := context.Background()
	cfg := emu.Config(ctx)
	name := resourceName(t)
	np, err := store.ProvisionNotify(ctx, cfg, store.NotifySpec{Topic: "topic-" + name, Queue: "watch-" + name})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(binary, "watch", "--queue-url", np.QueueURL, "--count", "3", "--for", "30s")
	cmd.Env = emu.Environ()
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := store.NewNotifier(cfg, np.TopicARN, "")
	at := time.Now()
	ok := jobs.Completion{JobID: "watch-ok", Status: "SUCCEEDED", Model: "iris-rf", ModelVersion: "1", Output: map[string]any{"label": "setosa", "score": 0.97}, FinishedAt: at}
	page := jobs.Completion{JobID: "watch-page", Status: "SUCCEEDED", Model: "ppocr-page", Input: "s3://inbox/scans/receipt.png", FinishedAt: at,
		Output: map[string]any{"line_count": 2, "text": "Corner Bakery\nTotal 9.00", "lines": []any{
			map[string]any{"text": "Corner Bakery", "box": []any{40, 43, 223, 74}}, map[string]any{"text": "Total 9.00", "box": []any{39, 193, 170, 221}}}}}
	bad := jobs.Completion{JobID: "watch-bad", Status: "FAILED", Model: "iris-rf", Error: &jobs.EventError{Code: jobs.CodeWrongFeatureCount, Message: "want 4 features"}, FinishedAt: at}
	for _, ev := range []jobs.Completion{ok, ok, bad, page} { // ok twice: a retried publish
		if err := n.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("watch printed %d lines, want one per job:\n%s", len(lines), out.String())
	}
	for _, want := range [][]string{
		{"SUCCEEDED", "watch-ok", "iris-rf@1", "setosa 0.97"},
		{"FAILED", "watch-bad", "wrong_feature_count: want 4 features"},
		{"SUCCEEDED", "watch-page", "s3://inbox/scans/receipt.png", "2 lines: Corner Bakery / Total 9.00"},
	} {
		found := false
		for _, l := range lines {
			has := true
			for _, w := range want {
				has = has && strings.Contains(l, w)
			}
			found = found || has
		}
		if !found {
			t.Errorf("no line with %q in:\n%s", want, out.String())
		}
	}
}
