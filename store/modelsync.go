package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SyncPrefix makes dir a copy of the objects under an s3://bucket/prefix/
// model folder (manifest.json, the .onnx file, its assets, or a Hugging
// Face export with its onnx/ and 1_Pooling/ subfolders). Objects whose
// ETag matches the last sync are not downloaded again, so a warm Lambda
// sandbox or a restarted poller starts from /tmp. It reports whether
// anything was downloaded.
func SyncPrefix(ctx context.Context, client *s3.Client, uri, dir string) (downloaded bool, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return false, fmt.Errorf("model location %q is not s3://bucket/prefix", uri)
	}
	bucket, prefix := u.Host, strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("create model cache %s: %w", dir, err)
	}
	etagsPath := filepath.Join(dir, ".etags.json")
	etags := map[string]string{}
	if b, err := os.ReadFile(etagsPath); err == nil {
		_ = json.Unmarshal(b, &etags) // a corrupt cache only costs a download
	}
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	seen := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return downloaded, Classify(err, "list "+uri)
		}
		for _, obj := range page.Contents {
			rel := strings.TrimPrefix(aws.ToString(obj.Key), prefix)
			if !safeRelPath(rel) || rel == ".etags.json" {
				continue
			}
			seen++
			dst := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return downloaded, fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
			}
			if etag := aws.ToString(obj.ETag); etags[rel] == etag {
				if _, err := os.Stat(dst); err == nil {
					continue
				}
			}
			if err := download(ctx, client, bucket, aws.ToString(obj.Key), dst); err != nil {
				return downloaded, err
			}
			etags[rel] = aws.ToString(obj.ETag)
			downloaded = true
		}
	}
	if seen == 0 {
		return false, fmt.Errorf("no objects under %s: upload the model folder (manifest.json, .onnx, assets) there", uri)
	}
	b, _ := json.Marshal(etags)
	if err := os.WriteFile(etagsPath, b, 0o644); err != nil {
		return downloaded, fmt.Errorf("write %s: %w", etagsPath, err)
	}
	return downloaded, nil
}

// safeRelPath reports whether an object's key below the prefix is a file
// path inside the folder: Hugging Face exports keep onnx/model.onnx and
// 1_Pooling/config.json in subfolders, but no segment may be empty, "."
// or "..", which could write outside dir.
func safeRelPath(rel string) bool {
	if rel == "" || strings.HasSuffix(rel, "/") || strings.Contains(rel, "\\") {
		return false
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg == "." || seg == ".." || seg != path.Base(seg) {
			return false
		}
	}
	return true
}

func download(ctx context.Context, client *s3.Client, bucket, key, dst string) error {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return Classify(err, fmt.Sprintf("download s3://%s/%s", bucket, key))
	}
	defer out.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, out.Body); err != nil {
		tmp.Close()
		return errors.Join(fmt.Errorf("download s3://%s/%s", bucket, key), Classify(err, "read body"))
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
