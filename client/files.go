package client

import (
	"context"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/batchinfer/batchinfer/jobs"
)

// FilePutter uploads one local file (store.Files).
type FilePutter interface {
	PutFile(ctx context.Context, bucket, key, path, contentType string) (jobs.S3Object, error)
}

// FileUpload is one local file to send to the inbox.
type FileUpload struct {
	Path string
	Key  string
	Size int64
}

// Uploaded is one file's outcome, as `submit` prints it.
type Uploaded struct {
	File  string `json:"file"`
	S3    string `json:"s3,omitempty"`
	JobID string `json:"job_id,omitempty"` // the id the object's notification will give the job
	// Status is the job's when it had finished before (the file was not
	// sent again).
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// PlanUploads lists the files under paths (files as given, folders walked,
// hidden entries skipped) with their keys: prefix + the file's name, or
// for a folder's files prefix + the path inside the folder.
func PlanUploads(paths []string, prefix string) ([]FileUpload, error) {
	var out []FileUpload
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("submit %s: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, FileUpload{Path: p, Key: prefix + filepath.Base(p), Size: st.Size()})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(p, path) // path is under p: never fails
			out = append(out, FileUpload{Path: path, Key: prefix + filepath.ToSlash(rel), Size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("submit %s: %w", p, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// ContentType names a file's type by its extension, else by sniffing its
// first bytes, as S3 consumers expect it set.
func ContentType(path string) string {
	if t := mime.TypeByExtension(filepath.Ext(path)); t != "" {
		return t
	}
	f, err := os.Open(path)
	if err != nil {
		return "application/octet-stream"
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := f.Read(head)
	return http.DetectContentType(head[:n])
}

// UploadFiles sends files to bucket with at most concurrency uploads at
// once, calling done after each (for a progress bar). One failed file
// never stops the others; the answer is in the files' order.
func UploadFiles(ctx context.Context, p FilePutter, bucket string, files []FileUpload, concurrency int, done func(FileUpload)) []Uploaded {
	out := make([]Uploaded, len(files))
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = Uploaded{File: f.Path}
			obj, err := p.PutFile(ctx, bucket, f.Key, f.Path, ContentType(f.Path))
			if err != nil {
				out[i].Error = err.Error()
			} else {
				out[i].S3 = obj.URI()
				out[i].JobID = jobs.ObjectJobID(obj.Bucket, obj.Key, obj.VersionID, obj.ETag)
			}
			if done != nil {
				done(f)
			}
		}()
	}
	wg.Wait()
	return out
}
