package model

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ultralyticsMeta is what `yolo export format=onnx` writes into the
// .onnx's metadata_props; YOLOv5 exports hold only names and stride.
type ultralyticsMeta struct {
	names  []string // by class id
	imgsz  [2]int   // height, width; zero when absent
	stride int
	task   string
	nms    bool // exported with nms=True (args holds 'nms': True)
}

// parseUltralyticsMeta reads the metadata map; ok is false when it holds
// no class names, so the model is not an Ultralytics export.
func parseUltralyticsMeta(props map[string]string) (ultralyticsMeta, bool, error) {
	var m ultralyticsMeta
	raw, ok := props["names"]
	if !ok {
		return m, false, nil
	}
	names, err := parsePyNames(raw)
	if err != nil {
		return m, true, fmt.Errorf("metadata names: %w", err)
	}
	m.names = names
	m.task = strings.TrimSpace(props["task"])
	if s, ok := props["stride"]; ok {
		if m.stride, err = strconv.Atoi(strings.TrimSpace(s)); err != nil {
			return m, true, fmt.Errorf("metadata stride %q: %w", s, err)
		}
	}
	if s, ok := props["imgsz"]; ok {
		f := strings.FieldsFunc(s, func(r rune) bool { return r == '[' || r == ']' || r == ',' || unicode.IsSpace(r) })
		if len(f) == 1 {
			f = append(f, f[0])
		}
		if len(f) != 2 {
			return m, true, fmt.Errorf("metadata imgsz %q is not [h, w]", s)
		}
		for i := range 2 {
			if m.imgsz[i], err = strconv.Atoi(f[i]); err != nil || m.imgsz[i] < 1 {
				return m, true, fmt.Errorf("metadata imgsz %q is not [h, w]", s)
			}
		}
	}
	args := strings.ReplaceAll(props["args"], " ", "")
	m.nms = strings.Contains(args, "'nms':True") || strings.Contains(args, `"nms":true`)
	return m, true, nil
}

// parsePyNames reads a Python dict literal of class ids to names, as
// Ultralytics writes it: {0: 'person', 1: "it's", 2: 'a\'b'}. Ids must
// run 0..C-1.
func parsePyNames(s string) ([]string, error) {
	p := pyLexer{s: strings.TrimSpace(s)}
	if !p.eat('{') {
		return nil, fmt.Errorf("%.40q is not a dict literal", s)
	}
	byID := map[int]string{}
	for !p.eat('}') {
		id, err := p.int()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, fmt.Errorf("want ':' after id %d at offset %d", id, p.i)
		}
		name, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := byID[id]; dup {
			return nil, fmt.Errorf("id %d appears twice", id)
		}
		byID[id] = name
		if !p.eat(',') && !p.peek('}') {
			return nil, fmt.Errorf("want ',' or '}' at offset %d", p.i)
		}
	}
	names := make([]string, len(byID))
	for id, n := range byID {
		if id < 0 || id >= len(names) {
			return nil, fmt.Errorf("class ids are not 0..%d: %d", len(names)-1, id)
		}
		names[id] = n
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no class names")
	}
	return names, nil
}

type pyLexer struct {
	s string
	i int
}

func (p *pyLexer) skip() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *pyLexer) peek(c byte) bool { p.skip(); return p.i < len(p.s) && p.s[p.i] == c }

func (p *pyLexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *pyLexer) int() (int, error) {
	p.skip()
	j := p.i
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || j == p.i && p.s[j] == '-') {
		j++
	}
	n, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, fmt.Errorf("want a class id at offset %d", p.i)
	}
	p.i = j
	return n, nil
}

// str reads a quoted Python string with backslash escapes.
func (p *pyLexer) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted name at offset %d", p.i)
	}
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == q:
			p.i = j + 1
			return b.String(), nil
		case c == '\\' && j+1 < len(p.s):
			j++
			switch e := p.s[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated name at offset %d", p.i)
}
