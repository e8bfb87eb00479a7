package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lambdaGoDir is where the module cache holds aws-lambda-go, located once.
var lambdaGoDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	dir := strings.TrimSpace(string(out))
	if err == nil && dir == "" {
		err = fmt.Errorf("go list -m printed no folder")
	}
	return dir, err
})

// LambdaSample is one of the real event samples aws-lambda-go publishes
// (events/testdata: sqs-event.json, apigw-request.json...), read from the
// module cache.
func LambdaSample(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := lambdaGoDir()
	if err != nil {
		t.Fatalf("locate github.com/aws/aws-lambda-go: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
