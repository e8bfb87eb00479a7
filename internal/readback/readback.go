// Package readback reads back, in tests, what the worker wrote to S3: an
// object by its s3:// URI, every object under a prefix, a record file's
// JSONL output lines, and the vectors of a side output (Parquet or .npy),
// failing the test with what could not be read.
package readback

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/batchinfer/batchinfer/jobs"
)

// Object is the content of the object at uri.
func Object(t testing.TB, ctx context.Context, c *s3.Client, uri string) []byte {
	t.Helper()
	o, err := jobs.ParseS3URI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return get(t, ctx, c, o.Bucket, o.Key)
}

// Prefix is the content of every object whose key starts with uri's, in
// key order (at most 1,000 objects: one listing page).
func Prefix(t testing.TB, ctx context.Context, c *s3.Client, uri string) [][]byte {
	t.Helper()
	o, err := jobs.ParseS3URI(uri)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(o.Bucket), Prefix: aws.String(o.Key)})
	if err != nil {
		t.Fatalf("list %s: %v", uri, err)
	}
	var out [][]byte
	for _, obj := range list.Contents {
		out = append(out, get(t, ctx, c, o.Bucket, aws.ToString(obj.Key)))
	}
	return out
}

func get(t testing.TB, ctx context.Context, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

// Lines decodes a record file's output: one JSON object a line.
func Lines(t testing.TB, data []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("output line %d: %v", len(lines)+1, err)
	}
	return lines
}

// Vectors decodes one side-output object of format "parquet" (its ids and
// rows) or "npy" (rows only: ids nil).
func Vectors(t testing.TB, format string, data []byte) (ids []string, vecs [][]float32) {
	t.Helper()
	if format == "parquet" {
		type row struct {
			ID        string    `parquet:"id"`
			Embedding []float32 `parquet:"embedding,list"`
		}
		rows, err := parquet.Read[row](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("parquet vectors: %v", err)
		}
		ids, vecs = make([]string, len(rows)), make([][]float32, len(rows))
		for i, r := range rows {
			ids[i], vecs[i] = r.ID, r.Embedding
		}
		return ids, vecs
	}
	if len(data) < 10 || !bytes.HasPrefix(data, []byte("\x93NUMPY")) {
		t.Fatalf("npy vectors: %d bytes without the NumPy magic", len(data))
	}
	hlen := int(binary.LittleEndian.Uint16(data[8:10]))
	header := string(data[10 : 10+hlen])
	var rows, dim int
	if _, err := fmt.Sscanf(header[strings.Index(header, "'shape': (")+len("'shape': ("):], "%d, %d)", &rows, &dim); err != nil {
		t.Fatalf("npy header %q: %v", header, err)
	}
	body := data[10+hlen:]
	if len(body) != rows*dim*4 {
		t.Fatalf("npy of shape (%d, %d) has %d data bytes", rows, dim, len(body))
	}
	vecs = make([][]float32, rows)
	for r := range vecs {
		vecs[r] = make([]float32, dim)
		for d := range vecs[r] {
			vecs[r][d] = math.Float32frombits(binary.LittleEndian.Uint32(body[(r*dim+d)*4:]))
		}
	}
	return nil, vecs
}
