package model

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/batchinfer/batchinfer/tensor"
)

// ctc decodes a [T, classes] probability row greedily: the best class per
// step, repeats collapsed, blanks dropped. This is PaddleOCR's CTCLabelDecode.
type ctc struct {
	out     int
	symbols []string // index = class id; symbols[blank] is ""
	blank   int
	fold    bool
}

func newCTC(dir string, m Manifest) (*ctc, error) {
	p := m.Postprocess
	if m.Charset == "" || filepath.IsAbs(m.Charset) || strings.Contains(m.Charset, "..") {
		return nil, fmt.Errorf("charset %q must name a file inside the model folder", m.Charset)
	}
	keys, err := readCharset(filepath.Join(dir, m.Charset))
	if err != nil {
		return nil, err
	}
	if p.Blank != 0 {
		return nil, fmt.Errorf("postprocess.blank is %d; only blank 0 (PaddleOCR's layout) is supported", p.Blank)
	}
	symbols := append([]string{""}, keys...)
	if p.AppendSpace {
		symbols = append(symbols, " ")
	}
	name := p.Output
	if name == "" && len(m.Outputs) == 1 {
		name = m.Outputs[0].Name
	}
	out, ok := m.output(name)
	if !ok {
		return nil, fmt.Errorf("postprocess.output %q is not one of the manifest outputs", name)
	}
	s := m.Outputs[out].Shape
	if len(s) != 3 || s[2] != int64(len(symbols)) {
		return nil, fmt.Errorf("outputs[%d].shape %v: the last dim must be 1 blank + %d charset symbols%s = %d", out, s, len(keys),
			map[bool]string{true: " + space", false: ""}[p.AppendSpace], len(symbols))
	}
	return &ctc{out: out, symbols: symbols, blank: p.Blank, fold: p.FoldFullwidth}, nil
}

func (c *ctc) postprocess(outputs []Tensor) (map[string]any, error) {
	t := outputs[c.out]
	C := len(c.symbols)
	data := tensor.AsFloat32(t)
	if len(data)%C != 0 {
		return nil, fmt.Errorf("CTC output row has %d values (shape %v), not a multiple of %d classes", len(data), t.Shape, C)
	}
	var sb strings.Builder
	var confSum float64
	emitted := 0
	prev := -1
	for step := 0; step < len(data); step += C {
		probs := data[step : step+C]
		best, bestP := 0, probs[0]
		for i, p := range probs[1:] {
			if p > bestP {
				best, bestP = i+1, p
			}
		}
		if best != c.blank && best != prev {
			sb.WriteString(c.symbols[best])
			confSum += float64(bestP)
			emitted++
		}
		prev = best
	}
	conf := 0.0
	if emitted > 0 {
		conf = round6(confSum / float64(emitted))
	}
	text := sb.String()
	if c.fold {
		text = strings.Map(foldFullwidth, text)
	}
	return map[string]any{"text": strings.TrimSpace(text), "confidence": conf}, nil
}

func foldFullwidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3000:
		return ' '
	}
	return r
}
