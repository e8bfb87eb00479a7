package jobs

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

// The hand-written CSV reading agrees with encoding/csv on every file
// encoding/csv reads without error (blank and whitespace-only lines aside,
// which the record reader skips and encoding/csv does not all skip).
func FuzzCSVAgainstEncodingCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,b\r\n1,2\r\n", "\"a\nb\",c\n", "\"x\"\"y\",\"\"\n", "a,\"b\r\nc\"\r\nd,e",
		"a\rb,c\n", "a,b\r", ",\n,,\n", "\"\"\n", "a,\"b,c\",\"d\"\"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		if err != nil {
			return
		}
		src := newRecordSource(bytes.NewReader(data), RecordReaderOptions{Format: FormatCSV, MaxRecordBytes: len(data) + 1})
		if err := src.open(); err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for {
			raw, tooLong, err := src.record(true)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || tooLong {
				t.Fatalf("record: %v %v", err, tooLong)
			}
			if isBlank(raw) {
				continue
			}
			cells, err := splitCSV(raw, nil, nil)
			if err != nil {
				t.Fatalf("%q: %v; encoding/csv read %q", data, err, want)
			}
			row := make([]string, len(cells))
			for i, c := range cells {
				row[i] = string(c)
			}
			got = append(got, row)
		}
		want = slices.DeleteFunc(want, func(row []string) bool { return len(row) == 1 && isBlank([]byte(row[0])) })
		got = slices.DeleteFunc(got, func(row []string) bool { return len(row) == 1 && isBlank([]byte(row[0])) })
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("%q: got %q, encoding/csv %q", data, got, want)
		}
	})
}

// objectMembers walks every valid JSON object as encoding/json reads it:
// the same keys, the last of a repeated key winning, the same values.
func FuzzObjectMembersAgainstEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` { "a" : [1,{"b":"}"}] , "c":"x\"y", "d":null,"a":true } `, `{"\u0061":-1.5e3,"b":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.TrimSpace(data)
		var want map[string]json.RawMessage
		// Keys that are not UTF-8 encoding/json rewrites; they can never
		// be one of the names records use.
		if len(data) == 0 || data[0] != '{' || !utf8.Valid(data) || json.Unmarshal(data, &want) != nil {
			return
		}
		got := map[string]string{}
		objectMembers(data, func(key, val []byte) { got[string(key)] = string(val) })
		if len(got) != len(want) {
			t.Fatalf("%s: keys %q, encoding/json %d", data, got, len(want))
		}
		for k, v := range want {
			if got[k] != string(bytes.TrimSpace(v)) {
				t.Fatalf("%s: %q = %s, encoding/json %s", data, k, got[k], v)
			}
		}
	})
}
