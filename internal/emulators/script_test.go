package emulators

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// TestEmulatorsScript drives scripts/emulators.sh (what `go tool task
// emulators:up/down` runs) on free ports with its own pid folder: up
// twice (idempotent), real SDK calls, status, down, ports closed.
func TestEmulatorsScript(t *testing.T) {
	t.Parallel()
	fq, dy := freePort(t), freePort(t)
	runDir := t.TempDir()
	script := func(arg string) (string, error) {
		cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "scripts", "emulators.sh"), arg)
		cmd.Env = append(os.Environ(), "FAUXQS_PORT="+strconv.Itoa(fq), "DYNALITE_PORT="+strconv.Itoa(dy), "BATCHINFER_RUN_DIR="+runDir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { _, _ = script("down") })

	if out, err := script("up"); err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	pid1, _ := os.ReadFile(filepath.Join(runDir, "fauxqs.pid"))
	if out, err := script("up"); err != nil || !strings.Contains(out, "already up") {
		t.Fatalf("second up: %v\n%s", err, out)
	}
	if pid2, _ := os.ReadFile(filepath.Join(runDir, "fauxqs.pid")); string(pid1) != string(pid2) {
		t.Errorf("second up replaced fauxqs: pid %s → %s", pid1, pid2)
	}

	e := &Env{SQSURL: "http://127.0.0.1:" + strconv.Itoa(fq), DynamoURL: "http://127.0.0.1:" + strconv.Itoa(dy), Region: Region}
	e.S3URL = e.SQSURL
	cfg := e.Config(context.Background())
	if _, err := sqs.NewFromConfig(cfg).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("q")}); err != nil {
		t.Errorf("SQS on the script's fauxqs: %v", err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("DynamoDB on the script's dynalite: %v", err)
	}
	if out, err := script("status"); err != nil {
		t.Errorf("status while up: %v\n%s", err, out)
	}

	if out, err := script("down"); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	for _, port := range []int{fq, dy} {
		if !closedSoon(port) {
			t.Errorf("port %d still open after down", port)
		}
	}
	if out, err := script("status"); err == nil {
		t.Errorf("status after down succeeded:\n%s", out)
	}
}

// closedSoon reports whether connections to port are refused within two
// seconds. One accepted dial proves little on a machine running other
// suites: another process's probe listener may hold the port for an
// instant, or a dial may connect to itself (source port = port).
func closedSoon(port int) bool {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return true
		}
		c.Close()
	}
	return false
}

// freePort is the port of a free loopback address.
func freePort(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(testenv.FreeAddr(t))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
