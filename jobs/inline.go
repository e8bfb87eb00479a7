package jobs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// Limits on inline job fields. job_id is a DynamoDB key and an S3 key part,
// metadata is copied into a DynamoDB item (400 KB in all).
const (
	MaxJobIDLen     = 256      // runes
	MaxModelNameLen = 128      // runes
	MaxMetadataSize = 16 << 10 // bytes of compact JSON
	MaxS3KeyBytes   = 1024     // S3's own limit on a key, in bytes of UTF-8
)

// inlineJob is the wire form of an inline job. Pointers tell "absent" from
// "empty".
type inlineJob struct {
	JobID    *string         `json:"job_id"`
	Model    *string         `json:"model"`
	Input    json.RawMessage `json:"input"`
	Metadata json.RawMessage `json:"metadata"`
	Entity   json.RawMessage `json:"entity"`
}

// Input kinds of an inline job.
const (
	inputS3       = "s3"
	inputFeatures = "features"
	inputData     = "data_base64"
)

// decodeInline decodes and validates an inline job whose top-level fields
// are already split out. fallbackID is the id to use without a job_id (the
// SQS or SNS message id).
func decodeInline(body []byte, fields map[string]json.RawMessage, fallbackID string) (Job, error) {
	// Unknown fields are rejected, not ignored: a typo such as "modle"
	// would otherwise silently run the default model. Checked on the exact
	// keys, since encoding/json matches field names case-insensitively.
	for k := range fields {
		switch k {
		case "job_id", "model", "input", "metadata", "entity":
		default:
			return Job{}, Errorf(CodeMalformedJob, "inline job has unknown field %q (fields: job_id, model, input, metadata, entity)", truncate(k))
		}
	}
	var w inlineJob
	if err := json.Unmarshal(body, &w); err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "inline job")
	}
	var j Job
	if w.Model != nil && *w.Model != "" { // "" or null: the default model
		if err := checkName("model", *w.Model, MaxModelNameLen); err != nil {
			return Job{}, err
		}
		j.Model = *w.Model
	}
	in, err := decodeInput(w.Input)
	if err != nil {
		return Job{}, err
	}
	j.Input = in
	if j.Metadata, err = decodeMetadata(w.Metadata); err != nil {
		return Job{}, err
	}
	if j.Entity, err = decodeEntity(w.Entity, ""); err != nil {
		return Job{}, err
	}
	if j.PayloadHash, err = payloadHash(&j); err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "inline job")
	}
	switch {
	case w.JobID != nil:
		if err := checkJobID(*w.JobID); err != nil {
			return Job{}, err
		}
		j.ID = *w.JobID
	case fallbackID != "":
		j.ID = fallbackID
	default:
		// No message id either (a body decoded outside SQS): derive one
		// from the payload so re-sending the same job stays idempotent.
		j.ID = InlineJobPrefix + j.PayloadHash[:32]
	}
	return j, nil
}

// InlineJobPrefix starts the job ID of an inline job that has neither a
// job_id nor a message id; it is reserved like ObjectJobPrefix.
const InlineJobPrefix = "inline-"

// inputKinds is the help text of input errors.
const inputKinds = `{"s3": "s3://bucket/key"}, {"features": [...]}, {"data_base64": "..."}, {"text": "...", "text_pair"?: "..."} or {"inputs": [{"name", "shape", "datatype", "data"}]}`

func decodeInput(raw json.RawMessage) (Input, error) {
	if isNull(raw) {
		return Input{}, Errorf(CodeMalformedJob, `inline job has no "input": want %s`, inputKinds)
	}
	var kinds map[string]json.RawMessage
	if err := json.Unmarshal(raw, &kinds); err != nil {
		return Input{}, Wrap(CodeMalformedJob, err, `"input" must be an object`)
	}
	if _, ok := kinds[inputTensors]; ok {
		ts, err := decodeTensorRequest(kinds, "input.")
		return Input{Tensors: ts}, err
	}
	if text, ok := kinds[inputText]; ok || kinds[inputTextPair] != nil {
		if n := len(kinds) - len(pick(kinds, inputText, inputTextPair)); n > 0 {
			return Input{}, Errorf(CodeMalformedJob, `"input" holds a text and %d other fields: a text input is {"text": "...", "text_pair"?: "..."}`, n)
		}
		t, err := decodeText(text, kinds[inputTextPair], "input.")
		return Input{Text: t}, err
	}
	if len(kinds) != 1 {
		return Input{}, Errorf(CodeMalformedJob, `"input" must hold exactly one of %s; it has %d fields`, inputKinds, len(kinds))
	}
	var kind string
	var v json.RawMessage
	for kind, v = range kinds { // the one entry
	}
	return decodeInputKind(kind, v, "input.")
}

// decodeInputKind decodes one input of an inline job's "input" or of a
// record file's record (shared, so both accept exactly the same inputs).
// path prefixes field names in messages: "input." for inline jobs, "" for
// records.
func decodeInputKind(kind string, v json.RawMessage, path string) (Input, error) {
	switch kind {
	case inputS3:
		var uri string
		if err := json.Unmarshal(v, &uri); err != nil {
			return Input{}, Wrap(CodeMalformedJob, err, `"%ss3" must be a string "s3://bucket/key"`, path)
		}
		o, err := ParseS3URI(uri)
		if err != nil {
			return Input{}, err
		}
		return Input{S3: &o}, nil
	case inputFeatures:
		if c := firstByte(v); c != '[' && c != '{' {
			return Input{}, Errorf(CodeInvalidFeatures, `"%sfeatures" must be an array of numbers or an object of named features`, path)
		}
		buf := bytes.NewBuffer(make([]byte, 0, len(v)+len(`{"features":}`)))
		buf.WriteString(`{"features":`)
		if err := json.Compact(buf, v); err != nil {
			return Input{}, Wrap(CodeInvalidFeatures, err, `"%sfeatures"`, path)
		}
		buf.WriteByte('}')
		return Input{Features: buf.Bytes()}, nil
	case inputData:
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return Input{}, Wrap(CodeMalformedJob, err, `"%sdata_base64" must be a base64 string`, path)
		}
		data, err := decodeBase64(s, path)
		if err != nil {
			return Input{}, err
		}
		return Input{Data: data}, nil
	default:
		return Input{}, Errorf(CodeMalformedJob, `unknown input kind %q: want s3, features, data_base64, text or inputs`, truncate(kind))
	}
}

// pick is the members of m named by keys that m has.
func pick(m map[string]json.RawMessage, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// MaxEntityKeys bounds a job's entity: a key of a table has one or two
// attributes, and a few more leave room for composite lookups.
const MaxEntityKeys = 8

// decodeEntity reads a job's or record's "entity": an object of attribute
// names to string or number values (a DynamoDB key's types).
func decodeEntity(raw json.RawMessage, path string) (map[string]any, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) != '{' {
		return nil, Errorf(CodeMalformedJob, `"%sentity" must be an object of key attributes, e.g. {"customer_id": "c-42"}`, path)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, Wrap(CodeMalformedJob, err, `"%sentity"`, path)
	}
	if len(m) == 0 || len(m) > MaxEntityKeys {
		return nil, Errorf(CodeMalformedJob, `"%sentity" has %d attributes; it needs 1 to %d`, path, len(m), MaxEntityKeys)
	}
	for k, v := range m {
		if err := checkName(path+"entity attribute", k, MaxModelNameLen); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case json.Number:
		case string:
			if x == "" || !utf8.ValidString(x) || len(x) > MaxS3KeyBytes {
				return nil, Errorf(CodeMalformedJob, `"%sentity".%s must be a non-empty UTF-8 string of at most %d bytes`, path, truncate(k), MaxS3KeyBytes)
			}
		default:
			return nil, Errorf(CodeMalformedJob, `"%sentity".%s must be a string or a number, not %s`, path, truncate(k), valueKind(v))
		}
	}
	return m, nil
}

// decodeBase64 takes standard base64 (RFC 4648 §4), padded or not.
func decodeBase64(s, path string) ([]byte, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	data, err := enc.DecodeString(s)
	if err != nil {
		return nil, Wrap(CodeMalformedJob, err, `"%sdata_base64" is not valid standard base64`, path)
	}
	if len(data) == 0 {
		return nil, Errorf(CodeEmptyInput, `"%sdata_base64" is empty`, path)
	}
	return data, nil
}

func decodeMetadata(raw json.RawMessage) (map[string]any, error) {
	if isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) != '{' {
		return nil, Errorf(CodeMalformedJob, `"metadata" must be a JSON object`)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, Wrap(CodeMalformedJob, err, `"metadata"`)
	}
	if buf.Len() > MaxMetadataSize {
		return nil, Errorf(CodeMalformedJob, `"metadata" is %d bytes, more than %d`, buf.Len(), MaxMetadataSize)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		return nil, Wrap(CodeMalformedJob, err, `"metadata"`)
	}
	return m, nil
}

// valueKind names a decoded JSON value's kind for messages.
func valueKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	return "a value"
}
