package jobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// canonicalPayload is what PayloadHash covers. JSON with sorted map keys and
// no insignificant whitespace, so a producer that re-sends the same job
// (even re-serialised with other key order or spacing) gets the same hash,
// while any change of model, input or metadata changes it.
type canonicalPayload struct {
	Model    string         `json:"model"`
	Input    canonicalInput `json:"input"`
	Metadata map[string]any `json:"metadata"`
}

type canonicalInput struct {
	S3        string `json:"s3,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Features  any    `json:"features,omitempty"`
	Data      []byte `json:"data,omitempty"`
}

// payloadHash returns the hex sha256 of j's canonical payload.
func payloadHash(j *Job) (string, error) {
	c := canonicalPayload{Model: j.Model, Metadata: j.Metadata}
	switch in := j.Input; {
	case in.S3 != nil:
		c.Input.S3 = in.S3.URI()
		c.Input.VersionID = in.S3.VersionID
		c.Input.ETag = normalizeETag(in.S3.ETag)
	case in.Features != nil:
		// Re-encode through a generic value: json.Marshal sorts object keys,
		// and UseNumber keeps numbers exactly as written.
		dec := json.NewDecoder(bytes.NewReader(in.Features))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("canonicalise features: %w", err)
		}
		c.Input.Features = v
	default:
		c.Input.Data = in.Data
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode canonical payload: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
