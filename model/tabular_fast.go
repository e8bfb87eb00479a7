package model

import (
	"math"
	"strconv"

	"github.com/batchinfer/batchinfer/scan"
)

// fastFeatureList parses exactly {"features": [n, ...]} with len(row) plain
// JSON numbers, all finite in float32, into row. encoding/json costs more
// per row than the iris forest takes to run, so the common case skips it.
// It reports false for anything else (other keys, names, strings, wrong
// count, odd numbers), and the general parser then decides, with its error.
func fastFeatureList(data []byte, row []float32) bool {
	p := &scan.Scanner{B: data}
	if !p.Lit('{') || !p.Lit('"') || !p.Word(`features"`) || !p.Lit(':') || !p.Lit('[') {
		return false
	}
	for i := range row {
		if i > 0 && !p.Lit(',') {
			return false
		}
		x, ok := float32Number(p)
		if !ok {
			return false
		}
		row[i] = x
	}
	if !p.Lit(']') || !p.Lit('}') {
		return false
	}
	return p.AtEnd()
}

// float32Number reads one JSON number as a finite float32.
func float32Number(p *scan.Scanner) (float32, bool) {
	p.Space()
	start := p.I
	if !p.Number() {
		return 0, false
	}
	// float64 then float32, exactly as the general path rounds.
	f, err := strconv.ParseFloat(string(p.B[start:p.I]), 64)
	x := float32(f)
	if err != nil || math.IsInf(float64(x), 0) {
		return 0, false
	}
	return x, true
}
