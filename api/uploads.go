package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// UploadRequest is the body of POST /v1/uploads.
type UploadRequest struct {
	Filename    string `json:"filename"`     // kept as the key's last part; default "upload"
	ContentType string `json:"content_type"` // default application/octet-stream
	Size        int64  `json:"size"`         // exact bytes the PUT will send
}

// UploadAnswer is the 200 answer: PUT the bytes to URL with Headers before
// ExpiresAt; the object's notification then makes the job.
type UploadAnswer struct {
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	S3URI     string            `json:"s3_uri"`
	ExpiresAt string            `json:"expires_at"`
}

// unsafeKeyChars are replaced in a filename: S3 takes any UTF-8, but
// keys that need no escaping are kinder to every tool downstream.
var unsafeKeyChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *Server) postUpload(w http.ResponseWriter, r *http.Request) {
	if s.Uploads == nil || s.Config.UploadBucket == "" {
		writeError(w, http.StatusServiceUnavailable, "uploads are not configured (BATCHINFER_UPLOAD_BUCKET)", string(jobs.CodeNotConfigured))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req UploadRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "upload request: "+err.Error()+` (fields: filename, content_type, size)`, string(jobs.CodeMalformedJob))
		return
	}
	if req.Size <= 0 || req.Size > s.Config.UploadMax {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("size must be 1 to %d bytes, got %d", s.Config.UploadMax, req.Size), string(jobs.CodeInputTooLarge))
		return
	}
	if req.ContentType == "" {
		req.ContentType = "application/octet-stream"
	}
	name := unsafeKeyChars.ReplaceAllString(path.Base("/"+req.Filename), "_")
	if name == "" || name == "/" || name == "." || name == ".." {
		name = "upload"
	}
	key := s.Config.UploadPrefix + requestID(r.Context()) + "/" + name
	up, err := s.Uploads.PresignPut(r.Context(), store.UploadRequest{
		Bucket: s.Config.UploadBucket, Key: key, ContentType: req.ContentType, Size: req.Size, Expires: s.Config.UploadExpires,
	})
	if err != nil {
		s.Log.Error("presign upload", "key", key, "err", err)
		writeUpstreamError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, UploadAnswer{
		URL: up.URL, Method: up.Method, Headers: up.Headers, Bucket: s.Config.UploadBucket, Key: key,
		S3URI: "s3://" + s.Config.UploadBucket + "/" + key, ExpiresAt: s.now().Add(s.Config.UploadExpires).UTC().Format(time.RFC3339),
	})
}
