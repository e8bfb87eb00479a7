// Package scan reads small texts by hand where encoding/json costs more
// than the work the text feeds (a tabular row, a tensor request) or does
// not apply (the Python dict literal of an Ultralytics export's names): a
// position in the bytes and the tokens JSON and Python literals share.
package scan

// Scanner is a position in a text.
type Scanner struct {
	B []byte // the text
	I int    // where the next byte is read
}

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Space skips JSON white space.
func (s *Scanner) Space() {
	for s.I < len(s.B) && IsSpace(s.B[s.I]) {
		s.I++
	}
}

// Lit skips white space and then one expected byte.
func (s *Scanner) Lit(c byte) bool {
	s.Space()
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Word passes one expected literal, such as true, right where the
// scanner is.
func (s *Scanner) Word(w string) bool {
	if len(s.B)-s.I < len(w) || string(s.B[s.I:s.I+len(w)]) != w {
		return false
	}
	s.I += len(w)
	return true
}

// Digits passes decimal digits and says how many.
func (s *Scanner) Digits() int {
	n := 0
	for s.I < len(s.B) && s.B[s.I] >= '0' && s.B[s.I] <= '9' {
		s.I++
		n++
	}
	return n
}

// Number passes one JSON number (RFC 8259's grammar: no plus sign, no
// leading zero, digits on both sides of a point) right where the scanner
// is.
func (s *Scanner) Number() bool {
	if s.I < len(s.B) && s.B[s.I] == '-' {
		s.I++
	}
	switch {
	case s.I < len(s.B) && s.B[s.I] == '0':
		s.I++
	case s.Digits() == 0:
		return false
	}
	if s.I < len(s.B) && s.B[s.I] == '.' {
		s.I++
		if s.Digits() == 0 {
			return false
		}
	}
	if s.I < len(s.B) && (s.B[s.I] == 'e' || s.B[s.I] == 'E') {
		s.I++
		if s.I < len(s.B) && (s.B[s.I] == '+' || s.B[s.I] == '-') {
			s.I++
		}
		if s.Digits() == 0 {
			return false
		}
	}
	return true
}

// AtEnd skips white space and reports whether nothing follows.
func (s *Scanner) AtEnd() bool {
	s.Space()
	return s.I == len(s.B)
}
