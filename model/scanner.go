package model

// scanner reads a small hand-parsed text (a JSON row, a Python dict
// literal): b from position i, white space skipped before each token.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// lit skips white space and then one expected byte.
func (p *scanner) lit(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// digits skips decimal digits and says how many.
func (p *scanner) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// atEnd skips white space and reports whether nothing follows.
func (p *scanner) atEnd() bool {
	p.space()
	return p.i == len(p.b)
}
