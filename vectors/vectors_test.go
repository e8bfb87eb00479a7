package vectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func vec(i, dim int) []float32 {
	v := make([]float32, dim)
	for k := range v {
		v[k] = float32(i) + float32(k)/1000
	}
	return v
}

// NumPy itself (Debian's, beside python3-onnx) reads the file: shape, dtype,
// values, and NaN rows where records failed.
func TestNPYReadByNumPy(t *testing.T) {
	const dim, n = 5, 1000
	path := filepath.Join(t.TempDir(), "v.npy")
	w, f := npyFile(t, path)
	if err := w.Skip("r0"); err != nil { // before any vector: dim unknown yet
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		var err error
		if i%100 == 7 {
			err = w.Skip(fmt.Sprint("r", i))
		} else {
			err = w.Add(fmt.Sprint("r", i), vec(i, dim))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	script := `import numpy as np, json, sys
a = np.load(sys.argv[1])
print(json.dumps({"shape": a.shape, "dtype": str(a.dtype), "nan_rows": [int(i) for i in np.where(np.isnan(a).all(axis=1))[0]], "row5": a[5].tolist(), "sum": float(np.nansum(a))}))`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v: %s", err, out)
	}
	var got struct {
		Shape   []int
		Dtype   string
		NanRows []int `json:"nan_rows"`
		Row5    []float64
		Sum     float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var wantNaN []int
	var wantSum float64
	for i := 0; i < n; i++ {
		if i == 0 || i%100 == 7 {
			wantNaN = append(wantNaN, i)
			continue
		}
		for _, x := range vec(i, dim) {
			wantSum += float64(x)
		}
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint([]int{n, dim}) || got.Dtype != "float32" || fmt.Sprint(got.NanRows) != fmt.Sprint(wantNaN) {
		t.Errorf("numpy read shape %v dtype %s NaN rows %v; want [%d %d] float32 %v", got.Shape, got.Dtype, got.NanRows, n, dim, wantNaN)
	}
	if math.Abs(got.Sum-wantSum) > 1e-3*math.Abs(wantSum) || math.Abs(got.Row5[4]-float64(vec(5, dim)[4])) > 1e-6 {
		t.Errorf("numpy read sum %v row5 %v; want %v, %v", got.Sum, got.Row5, wantSum, vec(5, dim))
	}
}

func TestParquetRoundTrip(t *testing.T) {
	const dim, n = 7, 20000 // more than one row group
	var buf bytes.Buffer
	w := NewParquet(&buf)
	for i := 0; i < n; i++ {
		if i%10 == 3 {
			if err := w.Skip(fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := w.Add(fmt.Sprintf("line-%d", i), vec(i, dim)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := file.Lookup("dim"); d != fmt.Sprint(dim) {
		t.Errorf("dim metadata %q", d)
	}
	if len(file.RowGroups()) < 2 {
		t.Errorf("%d row groups for %d rows", len(file.RowGroups()), w.Rows())
	}
	if s := file.Schema().String(); !strings.Contains(s, "LIST") || !strings.Contains(s, "float") {
		t.Errorf("schema has no list of floats:\n%s", s)
	}
	rows, err := parquet.Read[row](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n-n/10 {
		t.Fatalf("%d rows, want %d", len(rows), n-n/10)
	}
	for _, r := range []int{0, 1, 12345 - 12345/10 - 1} {
		var i int
		fmt.Sscanf(rows[r].ID, "line-%d", &i)
		if fmt.Sprint(rows[r].Embedding) != fmt.Sprint(vec(i, dim)) {
			t.Errorf("row %d (%s): %v, want %v", r, rows[r].ID, rows[r].Embedding, vec(i, dim))
		}
	}
}

func TestDimMismatchRefused(t *testing.T) {
	n, _ := npyFile(t, filepath.Join(t.TempDir(), "v.npy"))
	for _, w := range []Writer{NewParquet(&bytes.Buffer{}), n} {
		if err := w.Add("a", vec(1, 4)); err != nil {
			t.Fatal(err)
		}
		if err := w.Add("b", vec(2, 5)); !errors.Is(err, ErrDim) {
			t.Errorf("%T: a 5-dim vector after a 4-dim one: %v", w, err)
		}
	}
}

// npyFile is an NPY writer into a new file at path (closed when the test
// ends, or sooner by the caller).
func npyFile(t *testing.T, path string) (*NPYWriter, *os.File) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	w, err := NewNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return w, f
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Parquet, "parquet": Parquet, "npy": NPY} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil {
		t.Error("csv accepted")
	}
}

func TestNPYInBuffer(t *testing.T) {
	var b Buffer
	w, err := NewNPY(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Add(fmt.Sprint(i), vec(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b.Len() != npyHeaderLen+3*2*4 || !bytes.Contains(b.Bytes()[:npyHeaderLen], []byte("'shape': (3, 2)")) {
		t.Errorf("%d bytes, header %q", b.Len(), b.Bytes()[:npyHeaderLen])
	}
}
