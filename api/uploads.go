package api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// UploadRequest is the body of POST /v1/uploads.
type UploadRequest struct {
	Filename    string `json:"filename"`     // kept as the key's last part; default "upload"
	ContentType string `json:"content_type"` // default application/octet-stream
	Size        int64  `json:"size"`         // exact bytes the PUT will send
	// ContentMD5 is the content's MD5 (base64, as the Content-MD5 header,
	// or hex). It is signed into the URL, so S3 takes only these bytes, and
	// the answer can name the job: the object's ETag is that MD5.
	ContentMD5 string `json:"content_md5,omitempty"`
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
	// JobID is the job the object becomes (only with content_md5); FindJob
	// says how to find it either way.
	JobID   string `json:"job_id,omitempty"`
	FindJob string `json:"find_job"`
}

// unsafeKeyChars are replaced in a filename: S3 takes any UTF-8, but
// keys that need no escaping are kinder to every tool downstream.
var unsafeKeyChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *Server) postUpload(w http.ResponseWriter, r *http.Request) {
	if s.Uploads == nil || s.Config.UploadBucket == "" {
		writeError(w, http.StatusServiceUnavailable, "uploads are not configured ("+settings.UploadBucket.Name+")", string(jobs.CodeNotConfigured))
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
	md5b64, md5hex, err := parseMD5(req.ContentMD5)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), string(jobs.CodeMalformedJob))
		return
	}
	name := unsafeKeyChars.ReplaceAllString(path.Base("/"+req.Filename), "_")
	if name == "" || name == "/" || name == "." || name == ".." {
		name = "upload"
	}
	key := s.Config.UploadPrefix + requestID(r.Context()) + "/" + name
	up, err := s.Uploads.PresignPut(r.Context(), store.UploadRequest{
		Bucket: s.Config.UploadBucket, Key: key, ContentType: req.ContentType, Size: req.Size, ContentMD5: md5b64,
		Expires: s.Config.UploadExpires,
	})
	if err != nil {
		s.Log.Error("presign upload", "key", key, "err", err)
		writeUpstreamError(w, err)
		return
	}
	uri := "s3://" + s.Config.UploadBucket + "/" + key
	ans := UploadAnswer{
		URL: up.URL, Method: up.Method, Headers: up.Headers, Bucket: s.Config.UploadBucket, Key: key,
		S3URI: uri, ExpiresAt: s.now().Add(s.Config.UploadExpires).UTC().Format(time.RFC3339),
		FindJob: fmt.Sprintf("the job id derives from the bucket, the key and the ETag the PUT answers: `batchinfer jobid %s --etag ETAG`, or `batchinfer results --input %s`; send content_md5 to get job_id here", uri, uri),
	}
	if md5hex != "" {
		ans.JobID = jobs.ObjectJobID(s.Config.UploadBucket, key, "", md5hex)
		ans.FindJob = "GET /v1/jobs/" + ans.JobID + " once the PUT is done"
	}
	writeJSON(w, http.StatusOK, ans)
}

// parseMD5 reads a content MD5 given as base64 (the Content-MD5 header's
// form) or hex, and returns both forms.
func parseMD5(v string) (b64, hexSum string, err error) {
	if v == "" {
		return "", "", nil
	}
	sum, err := hex.DecodeString(v)
	if err != nil || len(sum) != md5.Size {
		sum, err = base64.StdEncoding.DecodeString(v)
	}
	if err != nil || len(sum) != md5.Size {
		return "", "", fmt.Errorf("content_md5 %q is not an MD5 (16 bytes, base64 as in Content-MD5, or hex)", v)
	}
	return base64.StdEncoding.EncodeToString(sum), hex.EncodeToString(sum), nil
}
