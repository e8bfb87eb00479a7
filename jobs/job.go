package jobs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strings"
)

// Job is one unit of inference work: one input for one model.
type Job struct {
	// ID is the job_id: the inline job's job_id, else the SQS message id (or
	// the SNS message id for an SNS-wrapped inline job); for S3 objects
	// ObjectJobID(...). It is the results table key.
	ID string
	// Model names a model by its manifest name; "" means the worker's
	// default model.
	Model string
	// Input is what to run the model on.
	Input Input
	// Metadata is copied to the result as-is (nil when absent).
	Metadata map[string]any
	// Entity keys the model's feature source (a job-level "entity"
	// object): attribute names to values, each a string or a json.Number
	// as written. Nil when absent.
	Entity map[string]any
	// PayloadHash is the hex sha256 of the canonical payload (model, input,
	// metadata). The same ID with a different hash is an
	// idempotency_conflict.
	PayloadHash string
}

// Input is a job's input: exactly one of S3, Features, Data, Text or
// Tensors is set.
type Input struct {
	S3       *S3Object       // an object to fetch
	Features json.RawMessage // inline tabular input: the JSON bytes `{"features":...}` as model.Preprocess takes them
	Data     []byte          // inline bytes (from data_base64)
	Text     *Text           // a text (and its pair), valid UTF-8
	Tensors  []Tensor        // an Open Inference Protocol request's input tensors, checked against the protocol
}

// String is what the result item's `input` attribute holds:
// "s3://bucket/key" for an object, "inline" otherwise.
func (in Input) String() string {
	if in.S3 != nil {
		return in.S3.URI()
	}
	return "inline"
}

// S3Object names one object (and, when known, its version) to fetch.
type S3Object struct {
	Bucket    string
	Key       string // decoded: the key exactly as GetObject takes it
	VersionID string // "" when unversioned
	ETag      string // without quotes; "" when unknown
	Size      int64  // as announced by the event; 0 when unknown
}

// URI returns "s3://bucket/key" with the key as-is (not URL-encoded), the
// form the AWS CLI prints and inline jobs use.
func (o S3Object) URI() string { return "s3://" + o.Bucket + "/" + o.Key }

// ObjectJobPrefix starts every job ID derived from an S3 object; inline jobs
// may not use it, so a user's job_id can never collide with an object's.
const ObjectJobPrefix = "s3-"

// ObjectJobID derives a stable job ID from an object's bucket, key and
// version id, or its ETag when the bucket is unversioned (version "" or
// "null"), so duplicate notifications of one object land on one result item
// while a new version or a rewrite of the key makes a new job.
func ObjectJobID(bucket, key, versionID, etag string) string {
	h := sha256.New()
	writeField(h, bucket)
	writeField(h, key)
	if v := versionID; v != "" && v != "null" {
		writeField(h, "v:"+v)
	} else {
		writeField(h, "e:"+normalizeETag(etag))
	}
	return ObjectJobPrefix + hex.EncodeToString(h.Sum(nil))[:32]
}

// writeField writes s length-prefixed, so no two different field tuples
// hash the same bytes whatever characters keys contain.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// normalizeETag strips the quotes HeadObject puts around an ETag (event
// notifications carry it bare) so both spellings give one ID.
func normalizeETag(etag string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(etag), `"`))
}
