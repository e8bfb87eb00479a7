package jobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// canonicalPayload is what PayloadHash covers. JSON with sorted map keys and
// no insignificant whitespace, so a producer that re-sends the same job
// (even re-serialised with other key order or spacing) gets the same hash,
// while any change of model, input or metadata changes it.
//
// Fields added for newer input kinds are omitted when unset, so the hash
// of every job that could be sent before them is unchanged.
type canonicalPayload struct {
	Model    string         `json:"model"`
	Input    canonicalInput `json:"input"`
	Metadata map[string]any `json:"metadata"`
	Entity   map[string]any `json:"entity,omitempty"`
}

type canonicalInput struct {
	S3        string  `json:"s3,omitempty"`
	VersionID string  `json:"version_id,omitempty"`
	ETag      string  `json:"etag,omitempty"`
	Features  any     `json:"features,omitempty"`
	Data      []byte  `json:"data,omitempty"`
	Text      *string `json:"text,omitempty"`
	TextPair  *string `json:"text_pair,omitempty"`
	// Tensors is the hex sha256 of the tensors' binary form (tensorsHash):
	// JSON has no spelling for a NaN in the data, and the values, not how
	// they were written, are the input.
	Tensors string `json:"tensors,omitempty"`
}

// payloadHash returns the hex sha256 of j's canonical payload.
func payloadHash(j *Job) (string, error) {
	in, err := canonicalInputOf(j.Input)
	if err != nil {
		return "", err
	}
	return jsonHash("payload", canonicalPayload{Model: j.Model, Input: in, Metadata: j.Metadata, Entity: j.Entity})
}

// InputHash is the hex sha256 of an inline input's canonical JSON (the
// input part of the payload hash: no model, metadata or entity), the key
// of reused results; "" for an S3 input, whose content is hashed as
// fetched.
func InputHash(in Input) (string, error) {
	if in.S3 != nil {
		return "", nil
	}
	c, err := canonicalInputOf(in)
	if err != nil {
		return "", err
	}
	return jsonHash("input", c)
}

// jsonHash is the hex sha256 of v's JSON (the canonical payload or input
// named by what).
func jsonHash(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode canonical %s: %w", what, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalInputOf is in as hashed.
func canonicalInputOf(in Input) (canonicalInput, error) {
	var c canonicalInput
	switch {
	case in.Text != nil:
		c.Text, c.TextPair = &in.Text.Text, in.Text.Pair
	case in.Tensors != nil:
		c.Tensors = tensorsHash(in.Tensors)
	case in.S3 != nil:
		c.S3 = in.S3.URI()
		c.VersionID = in.S3.VersionID
		c.ETag = normalizeETag(in.S3.ETag)
	case in.Features != nil:
		// Re-encode through a generic value: json.Marshal sorts object keys,
		// and UseNumber keeps numbers exactly as written.
		dec := json.NewDecoder(bytes.NewReader(in.Features))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return c, fmt.Errorf("canonicalise features: %w", err)
		}
		c.Features = v
	default:
		c.Data = in.Data
	}
	return c, nil
}

// tensorsHash hashes each tensor's name, datatype, shape and data bytes
// (little-endian), each field length-prefixed, in request order.
func tensorsHash(ts []Tensor) string {
	h := sha256.New()
	var n [8]byte
	putInt := func(v int64) {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	putInt(int64(len(ts)))
	for _, t := range ts {
		writeField(h, t.Name)
		writeField(h, t.Datatype)
		putInt(int64(len(t.Shape)))
		for _, d := range t.Shape {
			putInt(d)
		}
		putInt(int64(dataLen(t.Data)))
		_ = binary.Write(h, binary.LittleEndian, t.Data) // fixed-size slices: cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}
