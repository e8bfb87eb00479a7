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

// csvLayout maps a CSV header to record ids, entities and features.
type csvLayout struct {
	header []string
	idCol  int // -1 without an id column
	// keyCol is the feature source's key column (-1: none), entityKey its
	// name.
	keyCol    int
	entityKey string
	// textCol is the "text" column when the model's features do not name
	// one: every record is then a text (with textPairCol's as its pair);
	// -1 otherwise.
	textCol, textPairCol int
	cols                 []int    // the feature columns, in feature order
	names                []string // their features' names
	// stored marks the columns of features the feature source holds: an
	// empty cell leaves the feature to it.
	stored []bool
	// named writes a row's features as an object by name, so stored
	// features can merge into it (a model with a feature source).
	named bool
	// missing, when set, fails every record: a feature has no column.
	missing error
	cells   [][]byte // reused per record
	scratch []byte
}

func newCSVLayout(header []string, opt RecordReaderOptions) *csvLayout {
	features := opt.Features
	l := &csvLayout{header: header, idCol: -1, keyCol: -1, textCol: -1, textPairCol: -1, entityKey: opt.EntityKey, named: opt.Stored != nil}
	index := make(map[string]int, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		if _, dup := index[name]; !dup { // the first of two same-named columns counts
			index[name] = i
		}
		if name == "id" && l.idCol < 0 {
			l.idCol = i
		}
		if name == opt.EntityKey && opt.EntityKey != "" && l.keyCol < 0 {
			l.keyCol = i
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
		for i, h := range header {
			if i != l.idCol && i != l.keyCol {
				l.addCol(i, strings.TrimSpace(h), false)
			}
		}
		return l
	}
	for _, f := range features {
		stored := slices.Contains(opt.Stored, f)
		i, ok := index[f]
		switch {
		case !ok && stored: // the feature source supplies it
		case !ok:
			l.missing = Errorf(CodeWrongFeatureCount, "the CSV header has no column %q (the model's features: %s)", truncate(f), truncate(strings.Join(features, ", ")))
			return l
		default:
			l.addCol(i, f, stored)
		}
	}
	return l
}

func (l *csvLayout) addCol(i int, name string, stored bool) {
	l.cols, l.names, l.stored = append(l.cols, i), append(l.names, name), append(l.stored, stored)
}

// record decodes one CSV record into its id, {"features": ...} and entity.
func (l *csvLayout) record(raw []byte, num int64) (json.RawMessage, Input, map[string]any, error) {
	cells, err := splitCSV(raw, l.cells[:0], l.scratch[:0])
	if err != nil {
		return nil, Input{}, nil, prefixErr(err, "record %d", num)
	}
	l.cells = cells
	var id json.RawMessage
	if l.idCol >= 0 && l.idCol < len(cells) {
		if c := bytes.TrimSpace(cells[l.idCol]); len(c) > 0 { // an empty id cell: Num stands in
			id = appendJSONString(nil, c)
		}
	}
	var in Input
	switch {
	case l.missing != nil:
		return id, Input{}, nil, prefixErr(l.missing, "record %d", num)
	case len(cells) != len(l.header):
		return id, Input{}, nil, Errorf(CodeWrongFeatureCount, "record %d has %d cells, the CSV header %d", num, len(cells), len(l.header))
	case l.textCol >= 0:
		in, err = l.textRecord(cells)
	case l.named:
		in = Input{Features: l.namedFeatures(cells)}
	default:
		in = Input{Features: l.arrayFeatures(cells)}
	}
	var entity map[string]any
	if err == nil {
		entity, err = l.entity(cells)
	}
	if err != nil {
		return id, Input{}, nil, prefixErr(err, "record %d", num)
	}
	return id, in, entity, nil
}

// entity is the row's key cell as {key: cell} (nil: no key column, or an
// empty cell).
func (l *csvLayout) entity(cells [][]byte) (map[string]any, error) {
	if l.keyCol < 0 {
		return nil, nil
	}
	c := bytes.TrimSpace(cells[l.keyCol])
	switch {
	case len(c) == 0:
		return nil, nil
	case !utf8.Valid(c):
		return nil, Errorf(CodeMalformedJob, "the %s cell is not valid UTF-8", truncate(l.entityKey))
	}
	return map[string]any{l.entityKey: string(c)}, nil
}

// arrayFeatures is {"features":[...]} in feature order.
func (l *csvLayout) arrayFeatures(cells [][]byte) []byte {
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
	return append(b, "]}"...)
}

// namedFeatures is {"features":{name: value, ...}}, leaving out the empty
// cells of stored features.
func (l *csvLayout) namedFeatures(cells [][]byte) []byte {
	b := append(make([]byte, 0, 64), `{"features":{`...)
	first := true
	for k, c := range l.cols {
		if l.stored[k] && len(bytes.TrimSpace(cells[c])) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, []byte(l.names[k]))
		b = append(b, ':')
		b = appendCSVCell(b, cells[c])
	}
	return append(b, "}}"...)
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
