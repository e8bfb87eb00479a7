package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// readmeSkip marks a README command the test does not run; the reader
// sees it too, with the reason (an AWS account, a deployment's value, or
// what the test does itself).
const readmeSkip = "not run by the README test"

// readmeCommand is one shell command of a ```sh block of the README.
type readmeCommand struct {
	Line   int      // where it starts in README.md
	Text   string   // continuation lines joined, as the shell reads it
	Expect []string // "# {...}" lines right after it: its output, … for any text
}

// readmeCommands reads every ```sh block of the README, in order.
func readmeCommands(t *testing.T, path string) []readmeCommand {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []readmeCommand
	var cur *readmeCommand // the command being continued
	inBlock, expecting := false, false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !inBlock:
			inBlock = trimmed == "```sh"
			continue
		case trimmed == "```":
			inBlock, cur, expecting = false, nil, false
			continue
		case cur != nil:
			cur.Text += "\n" + line
		case strings.HasPrefix(trimmed, "# {"), strings.HasPrefix(trimmed, "# ["):
			if expecting {
				cmds[len(cmds)-1].Expect = append(cmds[len(cmds)-1].Expect, strings.TrimPrefix(trimmed, "# "))
			}
			continue
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			expecting = false
			continue
		default:
			cmds = append(cmds, readmeCommand{Line: n, Text: line})
			cur = &cmds[len(cmds)-1]
		}
		if strings.HasSuffix(trimmed, "\\") {
			continue
		}
		cur, expecting = nil, true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// readmeSandbox is a working directory laid out as a clone after
// `go tool task build`: the repository's files, and a .cache holding the
// real models, samples, tokenizers, ONNX Runtime and RIE, and this test's
// binary.
func readmeSandbox(t *testing.T) string {
	t.Helper()
	root, dir := testenv.RepoRoot(), t.TempDir()
	link := func(target, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"models", "samples", "tokenizers", "ort"} {
		if _, err := os.Stat(filepath.Join(testenv.CacheDir(), sub)); err == nil {
			link(filepath.Join(testenv.CacheDir(), sub), filepath.Join(".cache", sub))
		}
	}
	link(testenv.Tool(t, "aws-lambda-rie"), ".cache/bin/aws-lambda-rie")
	link(binary, ".cache/bin/batchinfer")
	// The clone's own files (go.mod, the sources `go run` builds, examples/).
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".cache" && e.Name() != ".git" {
			link(filepath.Join(root, e.Name()), e.Name())
		}
	}
	return dir
}

// readmeScript runs the commands in one bash, each one's output in its own
// files under out, and a line "@@ i" before each so a failure is placed.
// The README's fixed local ports become this test's.
func readmeScript(cmds []readmeCommand, out string, ports map[string]string) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n")
	for i, c := range cmds {
		if strings.Contains(c.Text, readmeSkip) {
			continue
		}
		text := c.Text
		for from, to := range ports {
			text = strings.ReplaceAll(text, from, to)
		}
		fmt.Fprintf(&b, "echo '@@ %d'\n{ %s\n} > %s/%d.out 2> %s/%d.err\n", i, text, out, i, out, i)
	}
	return b.String()
}

// Every command example of the README runs as written, in order, against
// the local system: emulators (this test's own, on the ports the README
// names), `local up`, `local run` and the real binary; the outputs the
// README shows are what the commands print. Commands marked readmeSkip are
// left out, and say why to the reader.
func TestReadmeCommandsRun(t *testing.T) {
	cmds := readmeCommands(t, filepath.Join(testenv.RepoRoot(), "README.md"))
	if len(cmds) < 10 {
		t.Fatalf("found %d commands in README.md", len(cmds))
	}
	dir, out := readmeSandbox(t), t.TempDir()
	sqsURL, _ := url.Parse(emu.SQSURL)
	dynamoURL, _ := url.Parse(emu.DynamoURL)
	ports := map[string]string{"127.0.0.1:8080": testenv.FreeAddr(t), "127.0.0.1:8090": testenv.FreeAddr(t), "127.0.0.1:4566": sqsURL.Host, "127.0.0.1:4569": dynamoURL.Host}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", readmeScript(cmds, out, ports))
	cmd.Dir, cmd.Env = dir, readmeEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	progress, err := cmd.CombinedOutput()
	// Whatever the commands left running (a failed run skips `kill %1`)
	// is in the script's process group.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	t.Logf("the README's commands ran in %v", time.Since(start).Round(time.Second))
	if err != nil {
		last := strings.LastIndex(string(progress), "@@ ")
		i, _ := strconv.Atoi(strings.Fields(string(progress)[last+3:])[0])
		stdout, _ := os.ReadFile(filepath.Join(out, fmt.Sprintf("%d.out", i)))
		stderr, _ := os.ReadFile(filepath.Join(out, fmt.Sprintf("%d.err", i)))
		t.Fatalf("README.md:%d failed (%v):\n%s\nstdout:\n%s\nstderr:\n%s", cmds[i].Line, err, cmds[i].Text, stdout, stderr)
	}
	for i, c := range cmds {
		if len(c.Expect) == 0 || strings.Contains(c.Text, readmeSkip) {
			continue
		}
		got, _ := os.ReadFile(filepath.Join(out, fmt.Sprintf("%d.out", i)))
		if missing := missingLines(string(got), c.Expect); missing != "" {
			t.Errorf("README.md:%d shows %q, the command printed:\n%s", c.Line, missing, got)
		}
	}
}

// missingLines returns the first expected line (… matching any text) not
// found, in order, among the output's lines; "" when all are.
func missingLines(output string, expect []string) string {
	lines := strings.Split(output, "\n")
	at := 0
	for _, e := range expect {
		parts := strings.Split(e, "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
		for at < len(lines) && !re.MatchString(strings.TrimSpace(lines[at])) {
			at++
		}
		if at == len(lines) {
			return e
		}
		at++
	}
	return ""
}

// readmeEnv is this process's environment without AWS, batchinfer or ONNX
// Runtime settings: the README's commands set what they need.
func readmeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "BATCHINFER_") && !strings.HasPrefix(kv, "ONNXRUNTIME_LIB=") {
			env = append(env, kv)
		}
	}
	return env
}

// No link of the README or the docs leaves the repository: a link to a file
// is relative and names one that exists in it (https pages, AWS's
// documentation and prices, are not files).
func TestDocLinksStayInTheRepository(t *testing.T) {
	root := testenv.RepoRoot()
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		if strings.Contains(string(b), "../shared/") {
			t.Errorf("%s points outside the repository (../shared/)", rel)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.HasPrefix(target, "https://") {
				continue // a public page (AWS's documentation, prices), not a file
			}
			p := filepath.Join(filepath.Dir(f), target)
			inside, _ := filepath.Rel(root, p)
			if strings.Contains(target, "://") || strings.HasPrefix(inside, "..") {
				t.Errorf("%s links %s, outside the repository", rel, m[1])
			} else if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links %s, which does not exist", rel, m[1])
			}
		}
	}
}
