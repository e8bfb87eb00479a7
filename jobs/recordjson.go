package jobs

import (
	"bytes"
	"encoding/json"
)

// jsonlRecord decodes one JSONL record: a JSON object with exactly one of
// "features", "s3", "data_base64", "text" (with an optional "text_pair")
// and "inputs" (an Open Inference Protocol request's tensors), an optional
// "id" and an optional "entity". Other fields are ignored. Names are
// matched exactly (encoding/json would match them in any letter case), so
// {"Features": ...} is no input.
func jsonlRecord(line []byte, num int64) (json.RawMessage, Input, map[string]any, error) {
	line = bytes.TrimSpace(line)
	// json.Valid is a scan without allocations; after it, objectMembers may
	// walk the object trusting its syntax, instead of a reflective Unmarshal
	// per record.
	if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
		return nil, Input{}, nil, Errorf(CodeMalformedJob, "record %d is not a JSON object", num)
	}
	var id, value, pair, entity json.RawMessage
	var kind string
	kinds := 0
	objectMembers(line, func(key, val []byte) {
		switch string(key) { // no allocation: the compiler compares in place
		case "id":
			id = val
		case "entity":
			entity = val
		case inputTextPair:
			pair = val
		case inputFeatures:
			kind, value, kinds = inputFeatures, val, kinds+1
		case inputS3:
			kind, value, kinds = inputS3, val, kinds+1
		case inputData:
			kind, value, kinds = inputData, val, kinds+1
		case inputText:
			kind, value, kinds = inputText, val, kinds+1
		case inputTensors:
			kind, value, kinds = inputTensors, val, kinds+1
		}
	})
	if id != nil {
		if c := id[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
			return nil, Input{}, nil, Errorf(CodeMalformedJob, `record %d: "id" must be a string or a number, got %s`, num, jsonKindOf(id))
		}
		id = append(json.RawMessage(nil), id...) // line is reused by the reader
	}
	if kinds != 1 {
		return id, Input{}, nil, Errorf(CodeMalformedJob, `record %d must hold exactly one of "features", "s3", "data_base64", "text" and "inputs"; it has %d`, num, kinds)
	}
	var in Input
	var err error
	switch {
	case kind == inputText:
		in.Text, err = decodeText(value, pair, "")
	case pair != nil:
		err = Errorf(CodeMalformedJob, `"text_pair" needs a "text" beside it`)
	case kind == inputTensors:
		in.Tensors, err = decodeTensors(value, inputTensors)
	default:
		in, err = decodeInputKind(kind, value, "")
	}
	if err != nil {
		return id, Input{}, nil, prefixErr(err, "record %d", num)
	}
	ent, err := decodeEntity(entity, "")
	if err != nil {
		return id, Input{}, nil, prefixErr(err, "record %d", num)
	}
	return id, in, ent, nil
}

// objectMembers calls f with each member of the JSON object b, which must
// be valid JSON: the key (unescaped when it holds escapes) and the value's
// bytes.
func objectMembers(b []byte, f func(key, val []byte)) {
	i := skipSpace(b, 1) // past '{'
	for i < len(b) && b[i] == '"' {
		end := skipString(b, i)
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			_ = json.Unmarshal(b[i:end], &s) // valid JSON: cannot fail
			key = []byte(s)
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // past ':'
		vend := skipValue(b, i)
		f(key, b[i:vend])
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset just past the string starting at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default: // a number, true, false or null
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
			i++
		}
		return i
	}
}

// jsonKindOf names a JSON value's kind for messages, which must not carry
// record contents.
func jsonKindOf(v []byte) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a value"
}

// DecodeRecordLine decodes one JSONL record line (see jsonlRecord): what
// `batchinfer predict -` reads from each line of its input.
func DecodeRecordLine(line []byte) (Input, map[string]any, error) {
	_, in, entity, err := jsonlRecord(line, 1)
	return in, entity, err
}
