package benchmarks

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/samples"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

// BenchmarkRecordFile runs one iris record file of each size through the
// real worker (in process, emulators behind a pass-through proxy), side by
// side with raw ONNX Runtime on the same model in the same run:
//
//	go test -run '^$' -bench RecordFile -benchtime 1x ./benchmarks/
//	BATCHINFER_BENCH_RECORDS=100000,1000000,10000000 go test -run '^$' -bench RecordFile -benchtime 1x -timeout 60m ./benchmarks/
//
// Metrics: rows/s of the whole file (stream, parse, infer, write the JSONL
// output in parts), raw-items/s of model.Run at batch 256, their ratio, and
// the process's peak RSS while the file ran (VmHWM, reset before it) beside
// its RSS before (the models and the rig). Files of 5M rows and more are
// gzipped (the emulator holds objects in memory).
func BenchmarkRecordFile(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if v := os.Getenv("BATCHINFER_BENCH_RECORDS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("BATCHINFER_BENCH_RECORDS: %q", f)
			}
			sizes = append(sizes, n)
		}
	}
	raw := rawIrisRate(b)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			r := newRig(b, nil)
			r.worker.Config.RecordPartBytes = worker.DefaultRecordPartBytes
			key := r.uploadRecords(b, n)
			var elapsed time.Duration
			var peak, base int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				debug.FreeOSMemory()
				resetPeakRSS(b)
				base = max(base, procStatus(b, "VmRSS"))
				id := fmt.Sprintf("file-%d-%d", n, i)
				b.StartTimer()
				t0 := time.Now()
				r.runFile(b, id, key, n)
				elapsed += time.Since(t0)
				peak = max(peak, procStatus(b, "VmHWM"))
			}
			rate := float64(n*b.N) / elapsed.Seconds()
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(rate, "rows/s")
			b.ReportMetric(raw, "raw-items/s")
			b.ReportMetric(rate/raw, "x-vs-raw")
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(base)/1024, "before-RSS-MiB")
		})
	}
}

// rawIrisRate is raw ONNX Runtime's items/s for iris at batch 256 (the
// bench command's measurement).
func rawIrisRate(b *testing.B) float64 {
	ss, err := samples.Inputs(iris.Manifest(), 256, 1)
	if err != nil {
		b.Fatal(err)
	}
	inputs := make([][]byte, len(ss))
	for i, s := range ss {
		inputs[i] = s.Data
	}
	rep, err := engine.Bench(context.Background(), iris, engine.BenchOptions{Batch: 256, Rounds: 3, Inputs: inputs})
	if err != nil {
		b.Fatal(err)
	}
	return rep.RawItemsPerS
}

// uploadRecords writes an n-row iris JSONL into the input bucket as a
// multipart upload, generated as it goes (never whole in memory).
func (r *rig) uploadRecords(b *testing.B, n int) string {
	b.Helper()
	key := fmt.Sprintf("records/%d.jsonl", n)
	gz := n >= 5_000_000
	if gz {
		key += ".gz"
	}
	pr, pw := io.Pipe()
	go func() {
		var w io.Writer = pw
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(pw)
			w = zw
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		for i := range n {
			fmt.Fprintf(bw, `{"id":%d,"features":[%.1f,%.1f,%.1f,%.1f]}`+"\n", i, 4.3+float64(i%36)/10, 2+float64(i%24)/10, 1+float64(i%59)/10, 0.1+float64(i%25)/10)
		}
		bw.Flush()
		if zw != nil {
			zw.Close()
		}
		pw.Close()
	}()
	up := &store.Outputs{Client: store.NewS3Client(r.direct), Bucket: r.input}
	id, err := up.CreateUpload(r.ctx, key, "application/x-ndjson")
	if err != nil {
		b.Fatal(err)
	}
	var parts []store.Part
	buf := make([]byte, 8<<20)
	for num := int32(1); ; num++ {
		k, err := io.ReadFull(pr, buf)
		if k > 0 {
			etag, perr := up.UploadPart(r.ctx, key, id, num, buf[:k])
			if perr != nil {
				b.Fatal(perr)
			}
			parts = append(parts, store.Part{Number: num, ETag: etag})
		}
		if err != nil {
			break
		}
	}
	if err := up.CompleteUpload(r.ctx, key, id, parts); err != nil {
		b.Fatal(err)
	}
	return key
}

// runFile runs one record-file job and checks its item.
func (r *rig) runFile(b *testing.B, id, key string, n int) {
	b.Helper()
	body, err := jobs.InlineJob{JobID: id, Model: iris.Name(), S3: "s3://" + r.input + "/" + key}.Body()
	if err != nil {
		b.Fatal(err)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: id, Body: body, EventSource: "aws:sqs",
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
	payload, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	invoke(b, side{"worker", func(ctx context.Context, p []byte) (any, error) { return r.worker.Handle(ctx, p) }}, payload)
	rec, err := (&store.Results{Client: dynamodb.NewFromConfig(r.direct), Table: r.tables["worker"]}).Get(r.ctx, id)
	if err != nil || rec == nil || rec.Status != store.StatusSucceeded || fmt.Sprintf("%.0f", toFloat(rec.Output["records"])) != strconv.Itoa(n) {
		b.Fatalf("record file %s: %+v %v", id, rec, err)
	}
}

// resetPeakRSS clears the process's VmHWM (Linux: clear_refs 5).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// procStatus reads a /proc/self/status field in KiB.
func procStatus(b *testing.B, field string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return -1
}
