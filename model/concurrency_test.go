package model

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

// The worker preprocesses and runs from many goroutines on one Model.
func TestConcurrentUseMatchesSequential(t *testing.T) {
	m := load(t, "ppocr-cls")
	_, pngs := ocrLines(24)
	want := make([]any, len(pngs))
	for i, p := range pngs {
		want[i] = classify(t, m, p)["score"]
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(pngs))
	for i, p := range pngs {
		wg.Go(func() {
			r, err := m.Preprocess(p)
			if err != nil {
				errs <- err
				return
			}
			outs, err := m.Run(context.Background(), Tensor{Shape: append([]int64{1}, r.Shape...), Data: r.Data})
			if err != nil {
				errs <- err
				return
			}
			res, err := m.Postprocess(row(outs, 0))
			if err != nil {
				errs <- err
				return
			}
			if res["score"] != want[i] {
				errs <- fmt.Errorf("line %d: concurrent score %v, sequential %v", i, res["score"], want[i])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func classify(t *testing.T, m *Model, data []byte) map[string]any {
	t.Helper()
	r, err := m.Preprocess(data)
	if err != nil {
		t.Fatal(err)
	}
	return runOne(t, m, []Tensor{r}, 0)
}

func TestInitRuntimeErrorsNameTheFix(t *testing.T) {
	t.Setenv("ONNXRUNTIME_LIB", "")
	for _, tc := range []struct{ path, want string }{
		{"", "set ONNXRUNTIME_LIB"},
		{"/nonexistent/libonnxruntime.so.1", "/nonexistent/libonnxruntime.so.1"},
	} {
		// initRuntime, not InitRuntime: the process already holds a runtime.
		err := initRuntime(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "setup") {
			t.Errorf("initRuntime(%q) = %v; want it to name %q and the setup task", tc.path, err, tc.want)
		}
	}
}

func TestCTCDecodeRules(t *testing.T) {
	c := &ctc{symbols: []string{"", "a", "b", "（", " "}, blank: 0, fold: true}
	steps := func(ids ...int) Tensor {
		data := make([]float32, len(ids)*len(c.symbols))
		for i, id := range ids {
			data[i*len(c.symbols)+id] = 0.9
		}
		return Tensor{Shape: []int64{int64(len(ids)), int64(len(c.symbols))}, Data: data}
	}
	for _, tc := range []struct {
		ids  []int
		want string
	}{
		{[]int{1, 1, 0, 1, 2, 2}, "aab"},    // repeats collapse, a blank separates
		{[]int{4, 1, 4, 4, 3, 0, 0}, "a ("}, // spaces kept inside, trimmed outside; full-width folded
		{[]int{0, 0, 0}, ""},
	} {
		res, err := c.postprocess([]Tensor{steps(tc.ids...)})
		if err != nil {
			t.Fatal(err)
		}
		if res["text"] != tc.want {
			t.Errorf("%v: got %q, want %q", tc.ids, res["text"], tc.want)
		}
	}
}

func BenchmarkRunPPOCRRec(b *testing.B) { benchRun(b, "ppocr-rec", 1, 16) }
func BenchmarkRunPPOCRCls(b *testing.B) { benchRun(b, "ppocr-cls", 1, 64) }
func BenchmarkRunIrisRF(b *testing.B)   { benchRun(b, "iris-rf", 1, 256) }

// benchRun measures Run alone on pre-packed batches of real inputs; items/s
// is reported so batch sizes compare directly.
func benchRun(b *testing.B, name string, sizes ...int) {
	m := load(b, name)
	var input []byte
	if m.Manifest().Preprocess.Kind == "tabular" {
		input = irisJSON([]float32{6.7, 3.0, 5.2, 2.3}, false)
	} else {
		input = textimg.PNG("Invoice 2026-11-27 $12.50", textimg.Options{}) // 320 wide for rec
	}
	r, err := m.Preprocess(input)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		rows := make([]Tensor, n)
		for i := range rows {
			rows[i] = r
		}
		batch := stack(b, rows, m.PadValue(), m.PadMultiple())
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Run(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
