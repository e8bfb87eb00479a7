package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineLinksNoAWSClient keeps inference apart from AWS: `predict`,
// `bench` and `isolate` run only this package, so it must link neither
// package store nor any package of the AWS SDK (aws-sdk-go-v2, smithy-go).
// Lambda's event types (aws-lambda-go/events, through jobs) are plain
// structs and may stay.
func TestEngineLinksNoAWSClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps answered %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/aws/aws-sdk-go") || strings.HasPrefix(dep, "github.com/aws/smithy-go") || dep == "github.com/batchinfer/batchinfer/store" {
			t.Errorf("package engine links %s", dep)
		}
	}
}
