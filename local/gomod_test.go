package local

import (
	"os/exec"
	"strings"
	"testing"
)

// goModDir is the module cache folder of a module in this build.
func goModDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	return strings.TrimSpace(string(out))
}
