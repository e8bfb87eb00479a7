package jobs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// readRecords reads every record of data, stopping at the first stream
// error.
func readRecords(t testing.TB, data []byte, opt RecordReaderOptions) ([]Record, *RecordReader, error) {
	t.Helper()
	rr, err := NewRecordReader(bytes.NewReader(data), opt)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for {
		r, err := rr.Next()
		if err == io.EOF {
			return recs, rr, nil
		}
		if err != nil {
			return recs, rr, err
		}
		recs = append(recs, r)
	}
}

func mustRecords(t testing.TB, data []byte, opt RecordReaderOptions) []Record {
	t.Helper()
	recs, _, err := readRecords(t, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// recordText sums a record up for comparisons: num, id, then the input or
// the error code.
func recordText(r Record) string {
	s := fmt.Sprintf("%d %s ", r.Num, r.ID)
	switch in := r.Input; {
	case r.Err != nil:
		return s + "error " + string(CodeOf(r.Err))
	case in.S3 != nil:
		return s + in.S3.URI()
	case in.Features != nil:
		return s + string(in.Features)
	default:
		return s + fmt.Sprintf("data %q", in.Data)
	}
}

func TestRecordFileFormat(t *testing.T) {
	tests := []struct {
		key    string
		f      RecordFormat
		gz, ok bool
	}{
		{"in/batch.jsonl", FormatJSONL, false, true},
		{"in/batch.NDJSON", FormatJSONL, false, true},
		{"in/batch.jsonl.gz", FormatJSONL, true, true},
		{"in/rows.CSV.GZ", FormatCSV, true, true},
		{"rows.csv", FormatCSV, false, true},
		{"scan.png", "", false, false},
		{"scan.png.gz", "", false, false},
		{"data.json", "", false, false},
		{"csv", "", false, false},
		{"jsonl.gz/scan.png", "", false, false},
	}
	for _, tt := range tests {
		f, gz, ok := RecordFileFormat(tt.key)
		if f != tt.f || gz != tt.gz || ok != tt.ok {
			t.Errorf("%q: got %q %v %v, want %q %v %v", tt.key, f, gz, ok, tt.f, tt.gz, tt.ok)
		}
	}
}

func TestJSONLRecords(t *testing.T) {
	tests := []struct {
		name, line string
		want       string // recordText, the number being 1
		substr     string // in the error, when there is one
	}{
		{"features array", `{"features": [5.1, 3.5, 1.4, 0.2]}`, `1 1 {"features":[5.1,3.5,1.4,0.2]}`, ""},
		{"named features", `{"id": "a-1", "features": {"x": 1, "y": [2]}}`, `1 "a-1" {"features":{"x":1,"y":[2]}}`, ""},
		{"number id verbatim", `{"features":[1],"id":1.50e2}`, `1 1.50e2 {"features":[1]}`, ""},
		{"string id verbatim", `{"id":"caf\u00e9 \"x\"","features":[1]}`, `1 "caf\u00e9 \"x\"" {"features":[1]}`, ""},
		{"other fields ignored", `{"note":{"features":1},"Features":5,"s3":"s3://inbox/a b.png","tags":[1,"]"]}`, `1 1 s3://inbox/a b.png`, ""},
		{"data", `{"data_base64":"aGk="}`, `1 1 data "hi"`, ""},
		{"escaped key", `{"feat\u0075res":[1]}`, `1 1 {"features":[1]}`, ""},
		{"crlf and spaces", "  {\"features\":[1]}  \r", `1 1 {"features":[1]}`, ""},
		{"not an object", `[1,2]`, `1 1 error malformed_job`, "not a JSON object"},
		{"not JSON", `{"features":[1,}`, `1 1 error malformed_job`, "not a JSON object"},
		{"trailing data", `{"features":[1]} x`, `1 1 error malformed_job`, "not a JSON object"},
		{"no input", `{"id":"a"}`, `1 "a" error malformed_job`, "has 0"},
		{"two inputs", `{"features":[1],"s3":"s3://inbox/k"}`, `1 1 error malformed_job`, "has 2"},
		{"same input twice", `{"features":[1],"features":[2]}`, `1 1 error malformed_job`, "has 2"},
		{"features scalar", `{"features":5}`, `1 1 error invalid_features`, `"features" must be an array`},
		{"features string", `{"id":7,"features":"1,2"}`, `1 7 error invalid_features`, "array"},
		{"features null", `{"features":null}`, `1 1 error invalid_features`, "array"},
		{"id object", `{"id":{"a":1},"features":[1]}`, `1 1 error malformed_job`, `"id" must be a string or a number, got an object`},
		{"id bool", `{"id":true,"features":[1]}`, `1 1 error malformed_job`, "a boolean"},
		{"id null", `{"id":null,"features":[1]}`, `1 1 error malformed_job`, "null"},
		{"s3 not a string", `{"s3":1}`, `1 1 error malformed_job`, `"s3" must be a string`},
		{"s3 bad uri", `{"s3":"https://x/y"}`, `1 1 error malformed_job`, "s3://"},
		{"data bad base64", `{"data_base64":"!!"}`, `1 1 error malformed_job`, `"data_base64" is not valid`},
		{"data empty", `{"data_base64":""}`, `1 1 error empty_input`, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := mustRecords(t, []byte(tt.line+"\n"), RecordReaderOptions{Format: FormatJSONL})
			if len(recs) != 1 {
				t.Fatalf("got %d records", len(recs))
			}
			r := recs[0]
			if got := recordText(r); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if tt.substr != "" {
				mustErr(t, r.Err, CodeOf(r.Err), tt.substr)
				if r.Input.Features != nil || r.Input.S3 != nil || r.Input.Data != nil {
					t.Errorf("a failed record has an input: %+v", r.Input)
				}
			}
		})
	}
}

func TestRecordBlankLinesAndOffsets(t *testing.T) {
	file := "\n  \t\n{\"features\":[1]}\r\n\r\n{\"features\":[2]}\n   \n{\"features\":[3]}"
	recs := mustRecords(t, []byte(file), RecordReaderOptions{Format: FormatJSONL})
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d@%d", r.Num, r.End))
	}
	want := fmt.Sprintf("1@%d 2@%d 3@%d", strings.Index(file, "\r\n\r\n")+2, strings.Index(file, "   "), len(file))
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	// Only blank lines: no records.
	if recs := mustRecords(t, []byte("\n \n\r\n"), RecordReaderOptions{Format: FormatCSV}); len(recs) != 0 {
		t.Errorf("blank CSV gave %d records", len(recs))
	}
}

func TestCSVRecords(t *testing.T) {
	iris := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
	tests := []struct {
		name, file string
		features   []string
		want       []string
		substr     string // in every failed record's error
	}{
		{"by name, any order, extra ignored",
			"\xef\xbb\xbfpetal_width,id,sepal_length,note,petal_length,sepal_width\r\n0.2,r1,5.1,x,1.4,3.5\r\n",
			iris, []string{`1 "r1" {"features":[5.1,3.5,1.4,0.2]}`}, ""},
		{"in order without names, spaces around cells",
			"a, b ,id\n 1 , 2.5e3 ,  \n", nil, []string{`1 1 {"features":[1,2.5e3]}`}, ""},
		{"numbers in other spellings",
			"a,b,c,d\n+5,.5,5.,0x1p-2\n", nil, []string{`1 1 {"features":[5,0.5,5,0.25]}`}, ""},
		{"non-finite and text become strings",
			"a,b,c,d,e,f\nNaN,Inf,-Inf,Infinity,,abc\n", nil,
			[]string{`1 1 {"features":["NaN","Inf","-Inf","Infinity","","abc"]}`}, ""},
		{"huge numbers stay numbers",
			"a\n1e400\n", nil, []string{`1 1 {"features":[1e400]}`}, ""},
		{"quoted cells with newlines, commas and quotes",
			"id,a,b\n\"line\none, \"\"two\"\"\",1,\"2\"\n\"r\r\n2\",3,4\n", nil,
			[]string{`1 "line\none, \"two\"" {"features":[1,2]}`, `2 "r\n2" {"features":[3,4]}`}, ""},
		{"escaped id text", "id,a\n<b>\t&,1\n", nil, []string{`1 "\u003cb\u003e\t\u0026" {"features":[1]}`}, ""},
		{"blank lines skipped", "a\n\n1\n  \n2\n", nil, []string{`1 1 {"features":[1]}`, `2 2 {"features":[2]}`}, ""},
		{"missing feature column",
			"id,sepal_length,sepal_width,petal_length\nx,1,2,3\n", iris,
			[]string{`1 "x" error wrong_feature_count`}, `no column "petal_width"`},
		{"row with too few or many cells",
			"id,a,b\nx,1\ny,1,2,3\nz,1,2\n", nil,
			[]string{`1 "x" error wrong_feature_count`, `2 "y" error wrong_feature_count`, `3 "z" {"features":[1,2]}`}, "cells"},
		{"bare quote", "a,b\n1,x\"y\n2,3\n", nil,
			[]string{`1 1 error malformed_job`, `2 2 {"features":[2,3]}`}, `bare "`},
		{"extraneous quote", "a,b\n\"1\"x,2\n", nil, []string{`1 1 error malformed_job`}, `extraneous "`},
		{"unterminated quote", "a,b\n1,\"2\n3,4\n", nil, []string{`1 1 error malformed_job`}, "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := mustRecords(t, []byte(tt.file), RecordReaderOptions{Format: FormatCSV, Features: tt.features})
			var got []string
			for _, r := range recs {
				got = append(got, recordText(r))
				if r.Err != nil {
					mustErr(t, r.Err, CodeOf(r.Err), tt.substr)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestCSVEntityKeyColumn: with a feature source, the key column is each
// row's entity and no feature, the stored features' columns may be absent
// or empty, and rows are features by name for the merge.
func TestCSVEntityKeyColumn(t *testing.T) {
	opt := RecordReaderOptions{Format: FormatCSV, EntityKey: "flower_id",
		Features: []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}, Stored: []string{"petal_length", "petal_width"}}
	file := "id,sepal_width,flower_id,sepal_length,petal_width\n" +
		"a,3.5,f-1,5.1,\n" + // petal_width left to the table
		"b,3.3, ,6.3,2.5\n" + // no entity
		"c,3.3,f-101,6.3,9\n" + // its own petal_width
		"d,3.3,\"\xff\",6.3,1\n"
	type row struct {
		text   string
		entity map[string]any
	}
	want := []row{
		{`1 "a" {"features":{"sepal_length":5.1,"sepal_width":3.5}}`, map[string]any{"flower_id": "f-1"}},
		{`2 "b" {"features":{"sepal_length":6.3,"sepal_width":3.3,"petal_width":2.5}}`, nil},
		{`3 "c" {"features":{"sepal_length":6.3,"sepal_width":3.3,"petal_width":9}}`, map[string]any{"flower_id": "f-101"}},
		{`4 "d" error malformed_job`, nil},
	}
	recs := mustRecords(t, []byte(file), opt)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if got := recordText(r); got != want[i].text || fmt.Sprint(r.Entity) != fmt.Sprint(want[i].entity) {
			t.Errorf("record %d: %s entity %v, want %s entity %v", i+1, got, r.Entity, want[i].text, want[i].entity)
		}
	}
	// A feature the source does not hold still needs its column.
	opt.Stored = []string{"petal_width"}
	if r := mustRecords(t, []byte(file), opt)[0]; CodeOf(r.Err) != CodeWrongFeatureCount {
		t.Errorf("no petal_length column and the table does not hold it: %v", r.Err)
	}
}

func TestCSVHeader(t *testing.T) {
	_, rr, err := readRecords(t, []byte("\xef\xbb\xbfid,\"a,b\"\n1,2\n"), RecordReaderOptions{Format: FormatCSV})
	if err != nil || strings.Join(rr.Header(), "|") != "id|a,b" {
		t.Errorf("header %q, %v", rr.Header(), err)
	}
	_, rr, _ = readRecords(t, []byte(`{"features":[1]}`), RecordReaderOptions{Format: FormatJSONL})
	if rr.Header() != nil {
		t.Errorf("JSONL header %q", rr.Header())
	}
	recs, _, err := readRecords(t, []byte("a,\"b\n"), RecordReaderOptions{Format: FormatCSV})
	if len(recs) != 0 {
		t.Fatalf("records after a bad header: %v", recs)
	}
	mustErr(t, err, CodeMalformedJob, "CSV header")
	_, _, err = readRecords(t, []byte(strings.Repeat("a", 40)+"\n1\n"), RecordReaderOptions{Format: FormatCSV, MaxRecordBytes: 16})
	mustErr(t, err, CodeInputTooLarge, "header")
}

func TestRecordTooLong(t *testing.T) {
	const max = 32
	long := `{"features":[` + strings.Repeat("1,", 40) + `1]}`
	exact := `{"features":[` + strings.Repeat("1", max-len(`{"features":[]}`)) + `]}`
	for _, gz := range []bool{false, true} {
		file := exact + "\r\n" + long + "\n" + `{"id":3,"features":[1]}` + "\n" + long
		data := []byte(file)
		if gz {
			data = gzipped(t, data)
		}
		recs := mustRecords(t, data, RecordReaderOptions{Format: FormatJSONL, Gzipped: gz, MaxRecordBytes: max})
		if len(recs) != 4 || recs[0].Err != nil || recs[2].Err != nil || recs[2].End != int64(strings.LastIndex(file, "\n")+1) {
			t.Fatalf("gzip %v: records %v", gz, recs)
		}
		for _, i := range []int{1, 3} {
			mustErr(t, recs[i].Err, CodeInputTooLarge, "longer than 32 bytes")
		}
		if recs[3].End != int64(len(file)) || string(recs[3].ID) != "4" {
			t.Errorf("last record %+v", recs[3])
		}
	}
	// A bigger record than the read buffer, under the limit: read whole.
	big := `{"features":[` + strings.Repeat("1,", readBufferSize) + `1]}`
	recs := mustRecords(t, []byte(big+"\n"+big), RecordReaderOptions{Format: FormatJSONL, MaxRecordBytes: 4 * readBufferSize})
	if len(recs) != 2 || recs[0].Err != nil || recs[1].Err != nil || len(recs[1].Input.Features) != len(big) {
		t.Errorf("big records: %d", len(recs))
	}
}

// resumeFiles are small files with every kind of boundary: blank lines,
// CRLF, a BOM, quoted newlines, bad records, no final newline.
var resumeFiles = []struct {
	name string
	opt  RecordReaderOptions
	file string
}{
	{"jsonl", RecordReaderOptions{Format: FormatJSONL},
		"\xef\xbb\xbf{\"id\":\"a\",\"features\":[1]}\n\n{\"features\":[2]}\r\nnot json\n  \n{\"id\":4,\"s3\":\"s3://inbox/k\"}\n{\"data_base64\":\"aGk\"}"},
	{"csv", RecordReaderOptions{Format: FormatCSV, Features: []string{"a", "b"}},
		"\xef\xbb\xbfb,id,a\r\n1,\"x\r\ny\",2\r\n\r\n3,,4\n\"5\n\n\",z,6\nbad,\"q\nq\"x,1\n7,w,8"},
}

// Resuming at every record's End, as the worker does after a deadline,
// gives exactly the records that followed, numbered and identified alike.
func TestRecordResumeAtEveryBoundary(t *testing.T) {
	for _, f := range resumeFiles {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gzip=%v", f.name, gz), func(t *testing.T) {
				opt := f.opt
				opt.Gzipped = gz
				data := []byte(f.file)
				if gz {
					data = gzipped(t, data)
				}
				all, rr, err := readRecords(t, data, opt)
				if err != nil || len(all) < 5 {
					t.Fatalf("%d records, %v", len(all), err)
				}
				for k := 1; k <= len(all); k++ {
					ropt := opt
					ropt.Offset, ropt.NextNum, ropt.Header = all[k-1].End, all[k-1].Num+1, rr.Header()
					in := data
					if !gz {
						in = data[ropt.Offset:] // a Range GET
					}
					rest := mustRecords(t, in, ropt)
					if len(rest) != len(all)-k {
						t.Fatalf("resumed after record %d: %d records, want %d", k, len(rest), len(all)-k)
					}
					for i, r := range rest {
						if got, want := recordText(r)+fmt.Sprint(r.End), recordText(all[k+i])+fmt.Sprint(all[k+i].End); got != want {
							t.Errorf("resumed after %d: got %s, want %s", k, got, want)
						}
					}
				}
			})
		}
	}
}

func TestRecordResumeOptions(t *testing.T) {
	_, err := NewRecordReader(strings.NewReader(""), RecordReaderOptions{Format: FormatCSV, Offset: 10})
	if err == nil || !strings.Contains(err.Error(), "Header") {
		t.Errorf("CSV resume without header: %v", err)
	}
	for _, opt := range []RecordReaderOptions{{Format: "xml"}, {Format: FormatJSONL, Offset: -1}, {Format: FormatJSONL, MaxRecordBytes: -1}} {
		if _, err := NewRecordReader(strings.NewReader(""), opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
	// A gzip resume past the content's end: the object was replaced.
	_, _, err = readRecords(t, gzipped(t, []byte("{\"features\":[1]}\n")), RecordReaderOptions{Format: FormatJSONL, Gzipped: true, Offset: 1000})
	mustErr(t, err, CodeMalformedJob, "shorter than the resume offset")
}

func TestRecordGzipTruncated(t *testing.T) {
	var file bytes.Buffer
	for i := range 5000 {
		fmt.Fprintf(&file, `{"id":%d,"features":[%d.5,1,2,3]}`+"\n", i, i)
	}
	data := gzipped(t, file.Bytes())
	// Cut in the middle, and in the trailer (all content there, its
	// checksum not).
	for _, cut := range []int{len(data) / 2, len(data) - 4} {
		recs, _, err := readRecords(t, data[:cut], RecordReaderOptions{Format: FormatJSONL, Gzipped: true})
		mustErr(t, err, CodeMalformedJob, "gzip")
		if len(recs) == 0 || len(recs) > 5000 || cut == len(data)/2 && len(recs) == 5000 {
			t.Errorf("cut at %d: %d records before the error", cut, len(recs))
		}
		for i, r := range recs {
			if r.Err != nil || string(r.ID) != fmt.Sprint(i) {
				t.Fatalf("record %d before the cut: %s", i, recordText(r))
			}
		}
	}
	// Not gzip at all.
	_, _, err := readRecords(t, []byte("{\"features\":[1]}\n"), RecordReaderOptions{Format: FormatJSONL, Gzipped: true})
	mustErr(t, err, CodeMalformedJob, "gzip")
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestRecordReadErrorAsIs(t *testing.T) {
	errNet := errors.New("connection reset by peer")
	full := gzipped(t, []byte(strings.Repeat("{\"features\":[1]}\n", 1000)))
	for _, gz := range []bool{false, true} {
		data := []byte("{\"features\":[1]}\n{\"features\":[2]}\n{\"feat")
		if gz {
			data = full[:len(full)/2]
		}
		rr, _ := NewRecordReader(&failingReader{data: data, err: errNet}, RecordReaderOptions{Format: FormatJSONL, Gzipped: gz})
		n := 0
		var err error
		for ; err == nil; n++ {
			_, err = rr.Next()
		}
		if err != errNet || n < 2 {
			t.Errorf("gzip %v: after %d records got %v, want the reader's own error", gz, n-1, err)
		}
		if _, again := rr.Next(); again != err {
			t.Errorf("the stream error is not sticky: %v", again)
		}
	}
}

// A generated file of 100,000 records with bad ones planted: every record
// is counted under its code, blank lines under none.
func TestRecordLargeJSONLCounts(t *testing.T) {
	plants := []struct {
		every int
		line  string
		code  Code
	}{
		{97, `not json`, CodeMalformedJob},
		{89, `{"features":[1],"s3":"s3://inbox/k"}`, CodeMalformedJob},
		{83, `{"features":"x"}`, CodeInvalidFeatures},
		{79, `{"data_base64":""}`, CodeEmptyInput},
		{73, `{"features":[` + strings.Repeat("1,", 600) + `1]}`, CodeInputTooLarge},
	}
	const n = 100_000
	want := map[Code]int{}
	var file bytes.Buffer
	for i := 1; i <= n; i++ {
		line := fmt.Sprintf(`{"id":"r%d","features":[5.1,3.5,1.4,%d]}`, i, i%3)
		var code Code = "ok"
		for _, p := range plants {
			if i%p.every == 0 {
				line, code = p.line, p.code
				break
			}
		}
		want[code]++
		file.WriteString(line + "\n")
		if i%50 == 0 {
			file.WriteString(" \n")
		}
	}
	recs := mustRecords(t, file.Bytes(), RecordReaderOptions{Format: FormatJSONL, MaxRecordBytes: 1024})
	got := map[Code]int{}
	for i, r := range recs {
		if r.Num != int64(i+1) {
			t.Fatalf("record %d numbered %d", i+1, r.Num)
		}
		if r.Err != nil {
			got[CodeOf(r.Err)]++
		} else {
			got["ok"]++
		}
	}
	if len(recs) != n || !equalJSON(t, got, want) {
		t.Errorf("%d records, counts %v, want %v", len(recs), got, want)
	}
}

// benchFile makes n iris records in format f.
func benchFile(f RecordFormat, n int) []byte {
	var b bytes.Buffer
	if f == FormatCSV {
		b.WriteString("id,sepal_length,sepal_width,petal_length,petal_width\n")
	}
	for i := range n {
		if f == FormatCSV {
			fmt.Fprintf(&b, "r%d,5.1,3.5,1.4,0.%d\n", i, i%10)
		} else {
			fmt.Fprintf(&b, `{"id":"r%d","features":[5.1,3.5,1.4,0.%d]}`+"\n", i, i%10)
		}
	}
	return b.Bytes()
}

// countRecords reads data as the worker does: record by record, keeping
// none.
func countRecords(data []byte, opt RecordReaderOptions) (int, error) {
	rr, err := NewRecordReader(bytes.NewReader(data), opt)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		r, err := rr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil || r.Err != nil {
			return n, errors.Join(err, r.Err)
		}
		n++
	}
}

// go test -run '^$' -bench Records -benchmem ./jobs/
func BenchmarkRecords(b *testing.B) {
	const n = 100_000
	for _, f := range []RecordFormat{FormatJSONL, FormatCSV} {
		for _, gz := range []bool{false, true} {
			data := benchFile(f, n)
			if gz {
				data = gzipped(b, data)
			}
			opt := RecordReaderOptions{Format: f, Gzipped: gz}
			if f == FormatCSV {
				opt.Features = []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
			}
			b.Run(fmt.Sprintf("%s/gzip=%v/100k", f, gz), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if got, err := countRecords(data, opt); err != nil || got != n {
						b.Fatal(got, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
