package docmake

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TurnedPhoto is a picture (PNG bytes) as a camera held turned stores it:
// a JPEG of its pixels turned by transpose (a member of PIL's
// Image.Transpose, such as "ROTATE_90") whose EXIF orientation (1..8) says
// how to turn them back.
func TurnedPhoto(t testing.TB, png []byte, transpose string, orientation int) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "up.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	Pillow(t, dir, fmt.Sprintf(`
ex = Image.Exif(); ex[0x0112] = %d
Image.open("up.png").convert("RGB").transpose(Image.Transpose.%s).save("photo.jpg", quality=95, exif=ex.tobytes())
`, orientation, transpose))
	data, err := os.ReadFile(filepath.Join(dir, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
