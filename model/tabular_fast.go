package model

import (
	"math"
	"strconv"
)

// fastFeatureList parses exactly {"features": [n, ...]} with len(row) plain
// JSON numbers, all finite in float32, into row. encoding/json costs more
// per row than the iris forest takes to run, so the common case skips it.
// It reports false for anything else (other keys, names, strings, wrong
// count, odd numbers), and the general parser then decides, with its error.
func fastFeatureList(data []byte, row []float32) bool {
	p := fastParser{scanner{b: data}}
	if !p.lit('{') || !p.lit('"') || !p.word("features") || !p.lit(':') || !p.lit('[') {
		return false
	}
	for i := range row {
		if i > 0 && !p.lit(',') {
			return false
		}
		x, ok := p.number()
		if !ok {
			return false
		}
		row[i] = x
	}
	if !p.lit(']') || !p.lit('}') {
		return false
	}
	return p.atEnd()
}

type fastParser struct{ scanner }

// word matches the rest of a key right after its opening quote.
func (p *fastParser) word(w string) bool {
	end := p.i + len(w)
	if end >= len(p.b) || string(p.b[p.i:end]) != w || p.b[end] != '"' {
		return false
	}
	p.i = end + 1
	return true
}

// number reads one JSON number (RFC 8259 grammar) as a finite float32.
func (p *fastParser) number() (float32, bool) {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return 0, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return 0, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return 0, false
		}
	}
	// float64 then float32, exactly as the general path rounds.
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	x := float32(f)
	if err != nil || math.IsInf(float64(x), 0) {
		return 0, false
	}
	return x, true
}
