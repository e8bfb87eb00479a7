package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSyncPrefixCopiesAModelFolderAndKeepsItByETag(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t)
	files := map[string]string{
		"models/iris/manifest.json":         `{"name":"iris"}`,
		"models/iris/model.onnx":            "onnx bytes",
		"models/iris/labels.txt":            "a\nb\n",
		"models/iris/onnx/model.onnx":       "a Hugging Face export keeps its model in onnx/",
		"models/iris/1_Pooling/config.json": `{"pooling_mode_cls_token": true}`,
		"models/iris/../escape":             "a key that climbs out of the folder is not copied",
		"models/iris/odd//empty-segment":    "nor one with an empty segment",
		"models/iris-v2/model.onnx":         "a sibling prefix must not leak in",
	}
	for k, v := range files {
		putObject(t, bucket, k, []byte(v))
	}
	dir := t.TempDir()
	s3c := NewS3Client(cfg)
	got, err := SyncPrefix(ctx, s3c, "s3://"+bucket+"/models/iris", dir)
	if err != nil || !got {
		t.Fatalf("first sync: downloaded %v, err %v", got, err)
	}
	for _, name := range []string{"manifest.json", "model.onnx", "labels.txt", "onnx/model.onnx", "1_Pooling/config.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != files["models/iris/"+name] {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "odd" || strings.Contains(e.Name(), "v2") {
			t.Errorf("unexpected %s in the model folder", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Error("a key with .. was written outside the model folder")
	}

	// A warm start: nothing changed, nothing downloaded.
	if got, err := SyncPrefix(ctx, s3c, "s3://"+bucket+"/models/iris/", dir); err != nil || got {
		t.Fatalf("second sync: downloaded %v, err %v; want nothing downloaded", got, err)
	}
	// A new model version: only what changed is fetched again.
	putObject(t, bucket, "models/iris/model.onnx", []byte("new onnx bytes"))
	if got, err := SyncPrefix(ctx, s3c, "s3://"+bucket+"/models/iris", dir); err != nil || !got {
		t.Fatalf("sync after update: downloaded %v, err %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "model.onnx")); string(b) != "new onnx bytes" {
		t.Errorf("model.onnx not refreshed: %q", b)
	}
}

func TestSyncPrefixErrors(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t)
	s3c := NewS3Client(cfg)
	for _, uri := range []string{"s3://" + bucket + "/nothing-here", "https://example.com/x", "s3:///x"} {
		if _, err := SyncPrefix(ctx, s3c, uri, t.TempDir()); err == nil {
			t.Errorf("%s: no error", uri)
		}
	}
}
