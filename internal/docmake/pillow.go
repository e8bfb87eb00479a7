package docmake

import (
	"os"
	"os/exec"
	"testing"
)

// Python is the system interpreter, where Debian's python3-pil and
// python3-onnx are installed (scripts/setup.sh), not a pyenv one.
const Python = "/usr/bin/python3"

// Pillow runs a Python script in dir with PIL's Image, ImageOps and
// TiffImagePlugin imported; the script reads and writes files there.
func Pillow(t testing.TB, dir, script string) {
	t.Helper()
	cmd := exec.Command(Python, "-c", "from PIL import Image, ImageOps, TiffImagePlugin\nimport os\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pillow script: %v\n%s", err, out)
	}
}
