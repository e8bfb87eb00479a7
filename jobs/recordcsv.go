package jobs

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSV is read by hand rather than with encoding/csv: its Reader buffers a
// whole line however long and cannot say where each record ends in the
// stream, and the reader needs both (MaxRecordBytes, Record.End). The
// dialect is encoding/csv's default one (RFC 4180): comma-separated, a
// field quoted with '"' only when the quote opens it, "" a quote inside
// one, "\r\n" read as "\n".

// csvQuoteState follows just enough of the syntax to tell a newline inside
// a quoted field from one that ends the record.
type csvQuoteState uint8

const (
	csvFieldStart csvQuoteState = iota
	csvUnquoted
	csvQuoted
	csvQuoteInQuoted // a '"' inside a quoted field: its end, or the first of ""
)

// scan advances the state over b and reports whether a record could end
// here (no quoted field is open).
func (s *csvQuoteState) scan(b []byte) bool {
	st := *s
	for _, c := range b {
		switch st {
		case csvQuoted:
			if c == '"' {
				st = csvQuoteInQuoted
			}
			continue
		case csvQuoteInQuoted:
			if c == '"' {
				st = csvQuoted
				continue
			}
		case csvFieldStart:
			if c == '"' {
				st = csvQuoted
				continue
			}
		}
		switch c {
		case ',', '\n':
			st = csvFieldStart
		default:
			st = csvUnquoted
		}
	}
	*s = st
	return st != csvQuoted
}

// splitCSV splits one record (line end removed) into its cells, appending
// to cells; unquoted cells alias rec, quoted ones are unescaped into
// scratch. A syntax error is a malformed_job *Error.
func splitCSV(rec []byte, cells [][]byte, scratch []byte) ([][]byte, error) {
	for {
		if len(rec) == 0 || rec[0] != '"' {
			i := bytes.IndexByte(rec, ',')
			cell := rec
			if i >= 0 {
				cell = rec[:i]
			}
			if bytes.IndexByte(cell, '"') >= 0 {
				return nil, Errorf(CodeMalformedJob, `bare " in an unquoted CSV field (quote the whole field)`)
			}
			cells = append(cells, cell)
			if i < 0 {
				return cells, nil
			}
			rec = rec[i+1:]
			continue
		}
		start := len(scratch)
		i := 1
		for {
			j := bytes.IndexByte(rec[i:], '"')
			if j < 0 {
				return nil, Errorf(CodeMalformedJob, `unterminated quoted CSV field`)
			}
			scratch = append(scratch, rec[i:i+j]...)
			i += j + 1
			if i < len(rec) && rec[i] == '"' { // "" is a quote
				scratch = append(scratch, '"')
				i++
				continue
			}
			break
		}
		cell := bytes.ReplaceAll(scratch[start:], []byte("\r\n"), []byte("\n"))
		cells = append(cells, cell)
		switch {
		case i == len(rec):
			return cells, nil
		case rec[i] != ',':
			return nil, Errorf(CodeMalformedJob, `extraneous " in a quoted CSV field`)
		}
		rec = rec[i+1:]
	}
}

// csvLayout maps a CSV header to record ids and features.
type csvLayout struct {
	header []string
	idCol  int // -1 without an id column
	// textCol is the "text" column when the model's features do not name
	// one: every record is then a text (with textPairCol's as its pair);
	// -1 otherwise.
	textCol, textPairCol int
	cols                 []int // the feature columns, in feature order
	// missing, when set, fails every record: a feature has no column.
	missing error
	cells   [][]byte // reused per record
	scratch []byte
}

func newCSVLayout(header, features []string) *csvLayout {
	l := &csvLayout{header: header, idCol: -1, textCol: -1, textPairCol: -1}
	index := make(map[string]int, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		if _, dup := index[name]; !dup { // the first of two same-named columns counts
			index[name] = i
		}
		if name == "id" && l.idCol < 0 {
			l.idCol = i
		}
	}
	if i, ok := index[inputText]; ok && !slices.Contains(features, inputText) {
		l.textCol = i
		if j, ok := index[inputTextPair]; ok {
			l.textPairCol = j
		}
		return l
	}
	if features == nil {
		for i := range header {
			if i != l.idCol {
				l.cols = append(l.cols, i)
			}
		}
		return l
	}
	for _, f := range features {
		i, ok := index[f]
		if !ok {
			l.missing = Errorf(CodeWrongFeatureCount, "the CSV header has no column %q (the model's features: %s)", truncate(f), truncate(strings.Join(features, ", ")))
			break
		}
		l.cols = append(l.cols, i)
	}
	return l
}

// record decodes one CSV record into its id and {"features":[...]}.
func (l *csvLayout) record(raw []byte, num int64) (json.RawMessage, Input, error) {
	cells, err := splitCSV(raw, l.cells[:0], l.scratch[:0])
	if err != nil {
		return nil, Input{}, prefixErr(err, "record %d", num)
	}
	l.cells = cells
	var id json.RawMessage
	if l.idCol >= 0 && l.idCol < len(cells) {
		if c := bytes.TrimSpace(cells[l.idCol]); len(c) > 0 { // an empty id cell: Num stands in
			id = appendJSONString(nil, c)
		}
	}
	switch {
	case l.missing != nil:
		return id, Input{}, prefixErr(l.missing, "record %d", num)
	case len(cells) != len(l.header):
		return id, Input{}, Errorf(CodeWrongFeatureCount, "record %d has %d cells, the CSV header %d", num, len(cells), len(l.header))
	case l.textCol >= 0:
		in, err := l.textRecord(cells)
		if err != nil {
			return id, Input{}, prefixErr(err, "record %d", num)
		}
		return id, in, nil
	}
	n := len(`{"features":[]}`)
	for _, c := range l.cols {
		n += len(cells[c]) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, `{"features":[`...)
	for k, c := range l.cols {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendCSVCell(b, cells[c])
	}
	b = append(b, "]}"...)
	return id, Input{Features: b}, nil
}

// textRecord is a record of a text CSV: its text cell, and its pair's.
func (l *csvLayout) textRecord(cells [][]byte) (Input, error) {
	cellText := func(col int, field string) (string, error) {
		c := cells[col]
		if !utf8.Valid(c) {
			return "", Errorf(CodeInvalidText, "the %s cell is not valid UTF-8 (at byte %d)", field, invalidAt(c))
		}
		return string(c), nil
	}
	text, err := cellText(l.textCol, inputText)
	if err != nil {
		return Input{}, err
	}
	t := &Text{Text: text}
	if l.textPairCol >= 0 {
		pair, err := cellText(l.textPairCol, inputTextPair)
		if err != nil {
			return Input{}, err
		}
		t.Pair = &pair
	}
	return Input{Text: t}, nil
}

// appendCSVCell writes a cell as a JSON value: a number when it is one
// (copied as written when JSON spells numbers that way, so the model sees
// exactly the text), else a string. "NaN", "Inf", "Infinity" and the like
// become strings the model reports as non_finite_feature; an empty cell or
// other text a string it reports as invalid_features.
func appendCSVCell(b, cell []byte) []byte {
	t := bytes.TrimSpace(cell)
	if isJSONNumber(t) {
		return append(b, t...)
	}
	if f, err := strconv.ParseFloat(string(t), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.AppendFloat(b, f, 'g', -1, 64) // "+5", ".5", "5.", "0x1p-2": numbers, not JSON's spelling
	}
	return appendJSONString(b, t)
}

// isJSONNumber reports whether b is a number as JSON writes it.
func isJSONNumber(b []byte) bool {
	i, n := 0, len(b)
	digits := func() bool {
		j := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < n && b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < n && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == n
}

// appendJSONString writes s as a JSON string: plain text directly, anything
// needing escapes through encoding/json.
func appendJSONString(b, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s)) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
