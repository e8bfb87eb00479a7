package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

func checkJobID(id string) error {
	if err := checkName("job_id", id, MaxJobIDLen); err != nil {
		return err
	}
	for _, p := range []string{ObjectJobPrefix, InlineJobPrefix, MalformedJobPrefix} {
		if strings.HasPrefix(id, p) {
			return Errorf(CodeMalformedJob, "job_id %q uses the reserved prefix %q (reserved: %q, %q, %q for derived ids)",
				truncate(id), p, ObjectJobPrefix, InlineJobPrefix, MalformedJobPrefix)
		}
	}
	return nil
}

// checkName requires a non-empty, printable, valid UTF-8 string of at most
// max runes with no surrounding spaces.
func checkName(field, s string, max int) error {
	var why string
	switch {
	case s == "":
		why = "is empty (omit it instead)"
	case !utf8.ValidString(s):
		why = "is not valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		why = fmt.Sprintf("is longer than %d characters", max)
	case strings.TrimSpace(s) != s:
		why = "has leading or trailing spaces"
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		why = "has control or non-printable characters"
	default:
		return nil
	}
	return Errorf(CodeMalformedJob, "%s %q %s", field, truncate(s), why)
}

// truncate keeps error messages (which land in DynamoDB and DLQ attributes)
// short whatever the input.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func firstByte(raw json.RawMessage) byte {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return 0
	}
	return t[0]
}
