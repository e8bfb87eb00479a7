package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestTextInputs(t *testing.T) {
	pair := func(s string) *string { return &s }
	tests := []struct {
		name, body string
		want       Text
	}{
		{"text", `{"input":{"text":"Great product, fast delivery."}}`, Text{Text: "Great product, fast delivery."}},
		{"text and pair", `{"input":{"text":"who wrote it?","text_pair":"Ada did."}}`, Text{Text: "who wrote it?", Pair: pair("Ada did.")}},
		{"empty text is a text", `{"input":{"text":""}}`, Text{Text: ""}},
		{"null pair is no pair", `{"input":{"text":"x","text_pair":null}}`, Text{Text: "x"}},
		{"escapes and a surrogate pair", `{"input":{"text":"caf\u00e9 \ud83d\ude00\n"}}`, Text{Text: "café 😀\n"}},
		{"U+FFFD written as itself", "{\"input\":{\"text\":\"a\uFFFDb\"}}", Text{Text: "a\uFFFDb"}},
		{"U+FFFD written as an escape", `{"input":{"text":"a\ufffdb\uFFFD"}}`, Text{Text: "a\uFFFDb\uFFFD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := mustJobs(t, decode(tc.body), 1)[0]
			got := j.Input.Text
			if got == nil || got.Text != tc.want.Text || (got.Pair == nil) != (tc.want.Pair == nil) || (got.Pair != nil && *got.Pair != *tc.want.Pair) {
				t.Fatalf("text %+v, want %+v", got, tc.want)
			}
			if j.Input.String() != "inline" {
				t.Fatalf("input %q", j.Input.String())
			}
		})
	}
}

func TestTextInputsRefused(t *testing.T) {
	tests := []struct {
		name, body string
		code       Code
		substr     string
	}{
		{"bytes that are not UTF-8", "{\"input\":{\"text\":\"caf\xe9\"}}", CodeInvalidText, `"input.text" is not valid UTF-8 (at byte 4`},
		{"a pair that is not UTF-8", "{\"input\":{\"text\":\"ok\",\"text_pair\":\"\xff\"}}", CodeInvalidText, `"input.text_pair" is not valid UTF-8`},
		{"a lone surrogate escape", `{"input":{"text":"a\ud800b"}}`, CodeInvalidText, "lone UTF-16 surrogate"},
		{"a lone surrogate after an escaped backslash", `{"input":{"text":"\\ufffd\udc00"}}`, CodeInvalidText, "lone UTF-16 surrogate"},
		{"text not a string", `{"input":{"text":42}}`, CodeMalformedJob, `"input.text" must be a string`},
		{"pair without text", `{"input":{"text_pair":"x"}}`, CodeMalformedJob, `"input.text_pair" needs a "input.text"`},
		{"text with another kind", `{"input":{"text":"x","features":[1]}}`, CodeMalformedJob, "a text input is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { mustMsgErr(t, decode(tc.body), tc.code, tc.substr) })
	}
}

func TestTensorInputs(t *testing.T) {
	tests := []struct {
		name, data, datatype, shape string
		want                        string // fmt of Data
	}{
		{"FP32", `[1, 2.5, -3e-2, 4]`, "FP32", "[2,2]", "[1 2.5 -0.03 4]"},
		{"FP32 nested", `[[1, 2], [3, 4]]`, "FP32", "[2,2]", "[1 2 3 4]"},
		{"FP32 non-finite", `["NaN", "Infinity", "-Infinity", 0]`, "FP32", "[4]", "[NaN +Inf -Inf 0]"},
		{"FP64", `[0.1, 1e300]`, "FP64", "[1,2]", "[0.1 1e+300]"},
		{"INT64", `[9007199254740993, -1]`, "INT64", "[2]", "[9007199254740993 -1]"},
		{"INT32", `[[2147483647], [-2147483648]]`, "INT32", "[2,1]", "[2147483647 -2147483648]"},
		{"INT8", `[-128, 127]`, "INT8", "[2]", "[-128 127]"},
		{"UINT8", `[0, 255, 7]`, "UINT8", "[1,3]", "[0 255 7]"},
		{"BOOL", `[true, false]`, "BOOL", "[2]", "[true false]"},
		{"empty", `[]`, "FP32", "[0,3]", "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"input":{"id":"r1","inputs":[{"name":"x","shape":%s,"datatype":"%s","data":%s,"parameters":{}}]}}`, tc.shape, tc.datatype, tc.data)
			j := mustJobs(t, decode(body), 1)[0]
			ts := j.Input.Tensors
			if len(ts) != 1 || ts[0].Name != "x" || ts[0].Datatype != tc.datatype || fmt.Sprint(ts[0].Shape) != strings.ReplaceAll(tc.shape, ",", " ") {
				t.Fatalf("tensors %+v", ts)
			}
			if got := fmt.Sprint(ts[0].Data); got != tc.want {
				t.Fatalf("data %s (%T), want %s", got, ts[0].Data, tc.want)
			}
		})
	}
}

func TestTensorInputsRefused(t *testing.T) {
	one := func(tensor string) string { return `{"input":{"inputs":[` + tensor + `]}}` }
	tests := []struct {
		name, body, substr string
	}{
		{"count mismatch", one(`{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5]}`), `input "x": shape [2 3] holds 6 values, data has 5`},
		{"unknown datatype", one(`{"name":"x","shape":[1],"datatype":"BYTES","data":["a"]}`), `input "x" has datatype "BYTES"; batchinfer takes FP32, FP64, INT64, INT32, INT8, UINT8, BOOL`},
		{"FP16", one(`{"name":"x","shape":[1],"datatype":"FP16","data":[1]}`), `input "x" is FP16, which is not served`},
		{"negative dim", one(`{"name":"x","shape":[-1,2],"datatype":"FP32","data":[1,2]}`), "negative dimension"},
		{"fractional dim", one(`{"name":"x","shape":[1.5],"datatype":"FP32","data":[1]}`), `"shape" must be an array of whole numbers`},
		{"no data", one(`{"name":"x","shape":[1],"datatype":"FP32"}`), `input "x" has no "data"`},
		{"no name", one(`{"shape":[1],"datatype":"FP32","data":[1]}`), `has no "name"`},
		{"no datatype", one(`{"name":"x","shape":[1],"data":[1]}`), `input "x" has no "datatype"`},
		{"unknown tensor field", one(`{"name":"x","shape":[1],"datatype":"FP32","data":[1],"contents":{}}`), `unknown field "contents"`},
		{"int overflow", one(`{"name":"ids","shape":[2],"datatype":"INT8","data":[1,128]}`), `input "ids": data[1] 128 is not a whole number that INT8 holds`},
		{"fraction for an int", one(`{"name":"ids","shape":[1],"datatype":"INT64","data":[1.5]}`), `data[0] 1.5 is not a whole number`},
		{"uint8 as base64", one(`{"name":"b","shape":[2],"datatype":"UINT8","data":"AAE="}`), `"data" must be an array of UINT8 values`},
		{"float32 overflow", one(`{"name":"x","shape":[1],"datatype":"FP32","data":[1e39]}`), `1e39 does not fit FP32`},
		{"bool as number", one(`{"name":"m","shape":[1],"datatype":"BOOL","data":[1]}`), `data[0] is not true or false`},
		{"string in floats", one(`{"name":"x","shape":[1],"datatype":"FP32","data":["1.5"]}`), `data[0] is not a number`},
		{"twice", `{"input":{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[2]}]}}`, `input "x" is given twice`},
		{"empty inputs", `{"input":{"inputs":[]}}`, "at least one input tensor"},
		{"inputs not an array", `{"input":{"inputs":{"x":[1]}}}`, `"input.inputs" must be an array`},
		{"request with other fields", `{"input":{"inputs":[],"features":[1]}}`, `unknown field "features"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { mustMsgErr(t, decode(tc.body), CodeInvalidTensor, tc.substr) })
	}
}

func TestTensorRequestObjects(t *testing.T) {
	req := []byte("\xef\xbb\xbf{\"id\": \"1\", \"inputs\": [{\"name\": \"X\", \"shape\": [1, 4], \"datatype\": \"FP32\", \"data\": [5.1, 3.5, 1.4, 0.2]}]}")
	for key, want := range map[string]string{"a/req.json": "inputs", "a/REQ.JSON": "inputs", "a/notes.txt": "text", "a/page.png": ""} {
		if got := ObjectInputKind(key, req); got != want {
			t.Fatalf("ObjectInputKind(%s) = %q, want %q", key, got, want)
		}
	}
	if got := ObjectInputKind("row.json", []byte(`{"features": [1, 2, 3, 4]}`)); got != "" {
		t.Fatalf("a tabular .json object is %q, want bytes for the codec", got)
	}
	r, err := ParseTensorRequest(req)
	if err != nil || len(r.Inputs) != 1 || fmt.Sprint(r.Inputs[0].Data) != "[5.1 3.5 1.4 0.2]" {
		t.Fatalf("ParseTensorRequest: %+v, %v", r, err)
	}
	_, err = ParseTensorRequest([]byte(`[1, 2]`))
	mustErr(t, err, CodeInvalidTensor, "must be a JSON object")
	in, err := TextObject([]byte("\xef\xbb\xbfline one\nline two\n"))
	if err != nil || in.Text == nil || in.Text.Text != "line one\nline two\n" {
		t.Fatalf("TextObject: %+v, %v", in.Text, err)
	}
	_, err = TextObject([]byte("Latin-1 caf\xe9"))
	mustErr(t, err, CodeInvalidText, "not valid UTF-8 (at byte 11)")
}

func TestEntity(t *testing.T) {
	j := mustJobs(t, decode(`{"model":"iris-feat","input":{"features":{"sepal_length":6.3}},"entity":{"flower_id":"f-42","shard":7}}`), 1)[0]
	if j.Entity["flower_id"] != "f-42" || j.Entity["shard"] != json.Number("7") {
		t.Fatalf("entity %#v", j.Entity)
	}
	for _, tc := range []struct{ body, substr string }{
		{`{"input":{"features":[1]},"entity":"f-42"}`, `"entity" must be an object`},
		{`{"input":{"features":[1]},"entity":{}}`, `"entity" has 0 attributes`},
		{`{"input":{"features":[1]},"entity":{"id":true}}`, `must be a string or a number, not a boolean`},
		{`{"input":{"features":[1]},"entity":{"id":""}}`, `must be a non-empty UTF-8 string`},
		{`{"input":{"features":[1]},"entity":{"id":{"S":"x"}}}`, `not an object`},
	} {
		mustMsgErr(t, decode(tc.body), CodeMalformedJob, tc.substr)
	}
}

// TestPayloadHashCoversEveryInput: jobs that differ in any input, or in
// their entity, hash differently; the same job written differently hashes
// alike; and the hash of inputs that existed before text and tensors is
// what it always was.
func TestPayloadHashCoversEveryInput(t *testing.T) {
	hash := func(body string) string { return mustJobs(t, decode(body), 1)[0].PayloadHash }
	tensor := func(name, dt, shape, data string) string {
		return fmt.Sprintf(`{"input":{"inputs":[{"name":%q,"shape":%s,"datatype":%q,"data":%s}]}}`, name, shape, dt, data)
	}
	groups := [][]string{
		{`{"input":{"text":"good"}}`, `{ "input" : { "text" : "go\u006fd" } }`},
		{`{"input":{"text":"bad"}}`},
		{`{"input":{"text":"good","text_pair":"x"}}`},
		{`{"input":{"text":"good","text_pair":"y"}}`},
		{`{"input":{"text":""}}`},
		{`{"input":{"text":"good"},"entity":{"id":"a"}}`, `{"entity":{"id":"a"},"input":{"text":"good"}}`},
		{`{"input":{"text":"good"},"entity":{"id":"b"}}`},
		{tensor("x", "FP32", "[1,2]", "[1,2]"), tensor("x", "FP32", "[1,2]", "[[1.0,2e0]]")},
		{tensor("x", "FP32", "[1,2]", "[1,3]")},
		{tensor("x", "FP32", "[2,1]", "[1,2]")},
		{tensor("y", "FP32", "[1,2]", "[1,2]")},
		{tensor("x", "FP64", "[1,2]", "[1,2]")},
		{tensor("x", "INT32", "[1,2]", "[1,2]")},
		{tensor("x", "FP32", "[1,2]", `[1,"NaN"]`), tensor("x", "FP32", "[1,2]", `[1,"nan"]`)},
		{`{"input":{"features":[1,2]}}`},
	}
	seen := map[string]int{}
	for g, bodies := range groups {
		first := hash(bodies[0])
		for _, b := range bodies[1:] {
			if hash(b) != first {
				t.Fatalf("group %d: %s and %s hash differently", g, bodies[0], b)
			}
		}
		if other, dup := seen[first]; dup {
			t.Fatalf("groups %d and %d hash alike: %s vs %s", other, g, groups[other][0], bodies[0])
		}
		seen[first] = g
	}
	// The canonical form of a features job, as it was before text and
	// tensors: results stored with that hash must still match.
	if got, want := hash(`{"model":"m","input":{"features":[1, 2]}}`), BodyHash(`{"model":"m","input":{"features":{"features":[1,2]}},"metadata":null}`); got != want {
		t.Fatalf("features hash %s, want %s (the canonical form changed)", got, want)
	}
}

func TestInlineJobEncodesNewInputs(t *testing.T) {
	text, pair := "Is it good?", "Yes."
	tests := []InlineJob{
		{Text: &text, TextPair: &pair, Entity: json.RawMessage(`{"user":"u-1"}`)},
		{Tensors: json.RawMessage(`[{"name":"X","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]`)},
	}
	for _, j := range tests {
		body, err := j.Body()
		if err != nil {
			t.Fatal(err)
		}
		got := mustJobs(t, decode(body), 1)[0]
		if (j.Text != nil) != (got.Input.Text != nil) || (j.Tensors != nil) != (got.Input.Tensors != nil) || (j.Entity != nil) != (got.Entity != nil) {
			t.Fatalf("%s decoded as %+v", body, got)
		}
	}
	bad := "caf\xe9"
	_, err := InlineJob{Text: &bad}.Body()
	mustErr(t, err, CodeInvalidText, "not valid UTF-8")
	_, err = InlineJob{Text: &text, Features: json.RawMessage(`[1]`)}.Body()
	mustErr(t, err, CodeMalformedJob, "exactly one")
}

func TestRecordsOfTextsTensorsAndEntities(t *testing.T) {
	jsonl := strings.Join([]string{
		`{"id": "r1", "text": "first", "entity": {"user": "u-1"}}`,
		`{"id": 2, "text": "q?", "text_pair": "a."}`,
		`{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "INT64", "data": [3, 4]}]}`,
		"{\"text\": \"caf\xe9\"}",
		`{"text_pair": "alone"}`,
		`{"text": "x", "features": [1]}`,
		`{"inputs": [{"name": "X", "shape": [3], "datatype": "FP32", "data": [1]}]}`,
		`{"text": "y", "entity": []}`,
	}, "\n")
	got := mustRecords(t, []byte(jsonl), RecordReaderOptions{Format: FormatJSONL})
	want := []string{
		`1 "r1" text "first" entity map[user:u-1]`,
		`2 2 text "q?" pair "a."`,
		`3 3 tensors X INT64 [1 2] [3 4]`,
		`4 4 error invalid_text`,
		`5 5 error malformed_job`,
		`6 6 error malformed_job`,
		`7 7 error invalid_tensor`,
		`8 8 error malformed_job`,
	}
	checkRecordTexts(t, got, want)

	csv := "id,text,text_pair,lang\nA,\"Hello, world\",,en\nB,caf\xe9,x,fr\nC,\"multi\nline\",pair,en\n"
	got = mustRecords(t, []byte(csv), RecordReaderOptions{Format: FormatCSV})
	checkRecordTexts(t, got, []string{`1 "A" text "Hello, world" pair ""`, `2 "B" error invalid_text`, `3 "C" text "multi\nline" pair "pair"`})

	// A model whose features name a "text" column reads features, as before.
	got = mustRecords(t, []byte("text,n\n1,2\n"), RecordReaderOptions{Format: FormatCSV, Features: []string{"text", "n"}})
	checkRecordTexts(t, got, []string{`1 1 {"features":[1,2]}`})
}

func checkRecordTexts(t *testing.T, got []Record, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		s := recordText(r)
		switch in := r.Input; {
		case r.Err != nil:
		case in.Text != nil:
			s = fmt.Sprintf("%d %s text %q", r.Num, r.ID, in.Text.Text)
			if in.Text.Pair != nil {
				s += fmt.Sprintf(" pair %q", *in.Text.Pair)
			}
		case in.Tensors != nil:
			s = fmt.Sprintf("%d %s tensors", r.Num, r.ID)
			for _, ts := range in.Tensors {
				s += fmt.Sprintf(" %s %s %v %v", ts.Name, ts.Datatype, ts.Shape, ts.Data)
			}
		}
		if r.Entity != nil {
			s += fmt.Sprintf(" entity %v", r.Entity)
		}
		if s != want[i] {
			t.Errorf("record %d: %s, want %s", i, s, want[i])
		}
	}
}
