package jobs

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Text is a text input: a text and, for cross-encoders and rerankers, an
// optional second text of the pair. Both are valid UTF-8.
type Text struct {
	Text string
	Pair *string
}

// Input kinds of text.
const (
	inputText     = "text"
	inputTextPair = "text_pair"
)

// decodeText reads a text input's "text" and optional "text_pair" values.
func decodeText(text, pair json.RawMessage, path string) (*Text, error) {
	if text == nil {
		return nil, Errorf(CodeMalformedJob, `"%stext_pair" needs a "%stext" beside it`, path, path)
	}
	s, err := jsonText(text, path+inputText)
	if err != nil {
		return nil, err
	}
	t := &Text{Text: s}
	if pair != nil && !isNull(pair) {
		p, err := jsonText(pair, path+inputTextPair)
		if err != nil {
			return nil, err
		}
		t.Pair = &p
	}
	return t, nil
}

// jsonText decodes a JSON string that must be valid Unicode text.
// encoding/json turns bytes that are not UTF-8, and \ud800-style escapes
// of lone surrogates, into U+FFFD without a word: both are checked here,
// on the raw bytes, and are invalid_text.
func jsonText(raw json.RawMessage, field string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", Errorf(CodeMalformedJob, `"%s" must be a string`, field)
	}
	if !utf8.Valid(raw) {
		return "", Errorf(CodeInvalidText, `"%s" is not valid UTF-8 (at byte %d of the string)`, field, invalidAt(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", Wrap(CodeMalformedJob, err, `"%s"`, field)
	}
	if strings.ContainsRune(s, utf8.RuneError) && countReplacement(s) > countWrittenReplacement(raw) {
		return "", Errorf(CodeInvalidText, `"%s" holds a \u escape of a lone UTF-16 surrogate, which is not a character`, field)
	}
	return s, nil
}

// invalidAt is the offset of the first byte of b that is not UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func countReplacement(s string) int { return strings.Count(s, "\uFFFD") }

// countWrittenReplacement counts the U+FFFD a JSON string spells out
// itself: as UTF-8 bytes or as a \ufffd escape (not preceded by another
// backslash).
func countWrittenReplacement(raw []byte) int {
	n := bytes.Count(raw, []byte("\uFFFD"))
	for i := 0; i+6 <= len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if strings.EqualFold(string(raw[i+1:i+6]), "ufffd") {
			n++
		}
		i++ // skip the escaped character, so \\ufffd is not counted
	}
	return n
}

// TextObject is the input of a .txt object: its bytes as one text, after
// an optional UTF-8 byte order mark. Bytes that are not UTF-8 are
// invalid_text.
func TextObject(data []byte) (Input, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return Input{}, Errorf(CodeInvalidText, "the text object is not valid UTF-8 (at byte %d)", invalidAt(data))
	}
	return Input{Text: &Text{Text: string(data)}}, nil
}

// ObjectInputKind tells what an S3 object's bytes are by its key and, for
// .json, its content: "text" for a .txt object (one text, TextObject),
// "tensors" for a .json object holding an Open Inference Protocol request
// (ParseTensorRequest), "" for anything else (bytes for the model's codec:
// an image, a document, a tabular JSON).
func ObjectInputKind(key string, data []byte) string {
	k := strings.ToLower(key)
	switch {
	case strings.HasSuffix(k, ".txt"):
		return inputText
	case strings.HasSuffix(k, ".json") && IsTensorRequest(data):
		return inputTensors
	}
	return ""
}
