package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBootstrapLinksNoTestFixture keeps the Lambda bootstrap free of test
// fixtures: text rendering and its ~790 KB of fonts are for tests and
// benchmarks only (bench and the demo read rendered inputs from files).
func TestBootstrapLinksNoTestFixture(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "gofont") || strings.HasPrefix(dep, "github.com/batchinfer/batchinfer/internal/") {
			t.Errorf("the bootstrap links %s", dep)
		}
	}
}
