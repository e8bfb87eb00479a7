package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"unicode/utf8"
)

// InlineJob is the encoder's view of an inline job (shape (a) in doc.go):
// what `batchinfer submit`, the API and the tests put on the queue. Exactly
// one of S3, Features, Data, Text and Tensors must be set.
type InlineJob struct {
	JobID    string          // "" lets the SQS message id be the job id
	Model    string          // "" = the worker's default model
	S3       string          // "s3://bucket/key", the key as-is
	Features json.RawMessage // a JSON array or object of features
	Data     []byte          // the input bytes, sent as data_base64
	Text     *string         // a text
	TextPair *string         // the text's pair (only with Text)
	Tensors  json.RawMessage // an Open Inference Protocol request's "inputs" array
	Metadata json.RawMessage // a JSON object copied to the result
	Entity   json.RawMessage // a JSON object keying the model's feature source
}

// inlineWire is InlineJob on the wire; omitempty drops what was not given.
type inlineWire struct {
	JobID    string          `json:"job_id,omitempty"`
	Model    string          `json:"model,omitempty"`
	Input    inlineWireInput `json:"input"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Entity   json.RawMessage `json:"entity,omitempty"`
}

type inlineWireInput struct {
	S3       string          `json:"s3,omitempty"`
	Features json.RawMessage `json:"features,omitempty"`
	Data     *[]byte         `json:"data_base64,omitempty"` // a pointer, so empty (non-nil) data is sent and refused as empty_input
	Text     *string         `json:"text,omitempty"`
	TextPair *string         `json:"text_pair,omitempty"`
	Inputs   json.RawMessage `json:"inputs,omitempty"`
}

// Body returns the job's SQS message body. It refuses, with the *Error the
// worker would record, any job the worker would reject, so a producer learns
// of a bad job before it is queued rather than from the dead-letter queue.
func (j InlineJob) Body() (string, error) {
	n := 0
	for _, set := range []bool{j.S3 != "", j.Features != nil, j.Data != nil, j.Text != nil, j.Tensors != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", Errorf(CodeMalformedJob, "an inline job needs exactly one of S3, Features, Data, Text and Tensors; it has %d", n)
	}
	for _, t := range []*string{j.Text, j.TextPair} {
		// json.Marshal would quietly turn bytes that are not UTF-8 into
		// U+FFFD: refuse them as the worker refuses them.
		if t != nil && !utf8.ValidString(*t) {
			return "", Errorf(CodeInvalidText, "the text is not valid UTF-8 (at byte %d)", invalidAt([]byte(*t)))
		}
	}
	w := inlineWire{JobID: j.JobID, Model: j.Model, Metadata: j.Metadata, Entity: j.Entity,
		Input: inlineWireInput{S3: j.S3, Features: j.Features, Text: j.Text, TextPair: j.TextPair, Inputs: j.Tensors}}
	if j.Data != nil {
		w.Input.Data = &j.Data
	}
	b, err := json.Marshal(w)
	if err != nil { // features or metadata that are not JSON
		return "", Wrap(CodeMalformedJob, err, "encode inline job")
	}
	// The fallback id only stands in for the message id the queue assigns.
	if _, _, err := decodeBody(b, "encode-check", false); err != nil {
		return "", err
	}
	return string(b), nil
}

// BodyHash is the hex sha256 of a message body: the payload hash recorded
// with the FAILED item of a body that does not decode (Message.BodyHash).
func BodyHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}
