package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runBinary runs the binary with the system's variables; stdout and
// stderr apart.
func runBinary(t *testing.T, env []string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return runBinaryAt(t, binary, env, stdin, args...)
}

// runBinaryAt is runBinary with another build of the binary.
func runBinaryAt(t *testing.T, bin string, env []string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(emu.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// `submit DIR` under a pseudo-terminal: the files go to the inbox with a
// bar of files and bytes, their job ids are printed, and --wait follows
// them (delivered by the local inbox notifications) to a summary.
func TestSubmitFolderUnderATerminal(t *testing.T) {
	opts, _ := irisSystem(t)
	dir := t.TempDir()
	for i := range 12 {
		sub := dir
		if i%3 == 0 {
			sub = filepath.Join(dir, "nested")
		}
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"features": [5.%d, 3.5, 1.4, 0.2]}`, i%10)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%02d.json", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := underTerminal(t, nil, "submit", "--bucket", opts.Resources.InputBucket, "--prefix", "batch/",
		"--wait", "90s", "--table", opts.Resources.Table, dir)
	if err != nil {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	for _, want := range []string{"12/12 files", "100%", "jobs finished", "summary: SUCCEEDED 12"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal does not show %q:\n%s", want, out)
		}
	}
	jobLines := regexp.MustCompile(`\{"file":"[^"]+","s3":"s3://[^"]+/batch/[^"]+","job_id":"s3-[0-9a-f]+"\}`).FindAllString(out, -1)
	if len(jobLines) != 12 || strings.Contains(out, ".hidden") {
		t.Errorf("%d job lines printed, want 12 (and no hidden file):\n%s", len(jobLines), out)
	}
}

// --jobs: a bad line is reported by its number and the others are sent;
// --strict sends nothing; results shows them as JSON lines when piped.
func TestSubmitJobLinesAndResults(t *testing.T) {
	opts, sys := irisSystem(t)
	env := []string{"BATCHINFER_QUEUE_URL=" + sys.Prov.QueueURL, "BATCHINFER_RESULTS_TABLE=" + opts.Resources.Table}
	lines := `{"job_id": "lines-1", "input": {"features": [5.1, 3.5, 1.4, 0.2]}}
{"job_id": "lines-2", "input": {"features": [6.7, 3.0, 5.2, 2.3]}, "typo": 1}

{"job_id": "lines-3", "input": {"features": [1, 2]}}
`
	if _, errOut, err := runBinary(t, env, lines, "submit", "--jobs", "-", "--strict"); err == nil || !strings.Contains(errOut, "line 2") {
		t.Errorf("--strict with a bad line 2: %v\n%s", err, errOut)
	}
	out, errOut, err := runBinary(t, env, lines, "submit", "--jobs", "-", "--wait", "60s")
	if err == nil || !strings.Contains(errOut, "line 2: malformed_job") || strings.Count(out, `"job_id"`) != 2 {
		t.Fatalf("--jobs: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	if !strings.Contains(errOut, "summary: SUCCEEDED 1, FAILED 1 (errors: wrong_feature_count 1)") {
		t.Errorf("no summary in:\n%s", errOut)
	}
	out, _, err = runBinary(t, env, "", "results", "lines-1", "lines-3", "never")
	var items []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			t.Fatalf("results piped is not JSON lines: %s", out)
		}
		items = append(items, m)
	}
	if err != nil || len(items) != 3 || items[0]["status"] != "SUCCEEDED" || items[1]["status"] != "FAILED" || items[2]["status"] != "NOT_FOUND" {
		t.Errorf("results: %v\n%s", err, out)
	}
	out, _, err = runBinary(t, env, "", "results", "--output", "lines-1")
	if err != nil || !strings.Contains(out, `"label"`) {
		t.Errorf("results --output: %v\n%s", err, out)
	}
}
