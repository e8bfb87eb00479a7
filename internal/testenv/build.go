package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LambdaBinary builds pkg (relative to the repository root, e.g.
// "./cmd/batchinfer") as the Lambda bootstrap is built (-tags lambda.norpc,
// cgo on) into a temporary folder, removed once the tests are done, and
// stores the binary's path in dst.
func LambdaBinary(pkg string, dst *string) Step {
	return Step{Name: "build " + pkg, Run: func() (func(), error) {
		dir, err := os.MkdirTemp("", "batchinfer-test-bin-")
		if err != nil {
			return nil, err
		}
		bin := filepath.Join(dir, filepath.Base(pkg))
		if err := BuildLambda(pkg, bin); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		*dst = bin
		return func() { os.RemoveAll(dir) }, nil
	}}
}

// BuildLambda builds pkg (relative to the repository root) to the file
// out as the Lambda bootstrap is built: cgo on, -tags lambda.norpc and
// any more tags. The error carries the compiler's output.
func BuildLambda(pkg, out string, tags ...string) error {
	tags = append([]string{"lambda.norpc"}, tags...)
	build := exec.Command("go", "build", "-tags", strings.Join(tags, ","), "-o", out, pkg)
	build.Dir = RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}
