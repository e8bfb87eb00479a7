package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/batchinfer/batchinfer/scan"
)

// UltralyticsExport is what an Ultralytics export (`yolo export
// format=onnx`) writes into its .onnx metadata.
type UltralyticsExport struct {
	Task    string   // metadata task: detect, classify, … ("" in old YOLOv5 exports)
	Names   []string // class names by id
	ImgSize []int    // [height, width] the model takes (nil when absent: the input shape says)
	Stride  int      // 0 when absent
}

// isUltralytics reports whether .onnx metadata is an Ultralytics export's:
// class names as a Python dict, plus its task, image size or stride.
func isUltralytics(meta map[string]string) bool {
	if _, ok := meta["names"]; !ok {
		return false
	}
	for _, k := range []string{"task", "imgsz", "stride"} {
		if _, ok := meta[k]; ok {
			return true
		}
	}
	return strings.Contains(meta["author"], "Ultralytics")
}

// readUltralytics parses the metadata's names, imgsz, stride and task.
func readUltralytics(meta map[string]string) (*UltralyticsExport, error) {
	names, err := parsePyNames(meta["names"])
	if err != nil {
		return nil, fmt.Errorf("ONNX metadata names: %w", err)
	}
	u := &UltralyticsExport{Task: meta["task"], Names: names}
	if s, ok := meta["imgsz"]; ok {
		if u.ImgSize, err = parseIntList(s); err != nil || len(u.ImgSize) != 2 {
			return nil, fmt.Errorf("ONNX metadata imgsz %q is not [height, width]", s)
		}
	}
	if s, ok := meta["stride"]; ok {
		if u.Stride, err = strconv.Atoi(strings.TrimSpace(s)); err != nil {
			return nil, fmt.Errorf("ONNX metadata stride %q is not a number", s)
		}
	}
	return u, nil
}

// modelTask maps the export's task onto batchinfer's. YOLOv5 exports may
// carry no task: they are detectors.
func (u *UltralyticsExport) modelTask() (string, error) {
	switch u.Task {
	case "detect", "":
		return TaskObjectDetection, nil
	case "classify":
		return TaskImageClassification, nil
	}
	return "", fmt.Errorf("the Ultralytics export's task is %q; batchinfer serves detect (and classify) exports: set task in manifest.json to run it another way (tensor for raw outputs)", u.Task)
}

// parsePyNames reads the Python dict literal Ultralytics stores class
// names as: {0: 'person', 1: 'bicycle', 2: "o'clock"}. Ids must be
// 0..n-1.
func parsePyNames(s string) ([]string, error) {
	p := pyParser{scan.Scanner{B: []byte(strings.TrimSpace(s))}}
	if !p.Lit('{') {
		return nil, fmt.Errorf("%q is not a {id: 'name'} dict", clip(s))
	}
	byID := map[int]string{}
	for !p.Lit('}') {
		if len(byID) > 0 && !p.Lit(',') {
			return nil, fmt.Errorf("expected , at offset %d of %q", p.I, clip(s))
		}
		if p.Lit('}') { // a trailing comma
			break
		}
		id, err := p.int()
		if err != nil {
			return nil, err
		}
		if !p.Lit(':') {
			return nil, fmt.Errorf("expected : after id %d", id)
		}
		name, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := byID[id]; dup {
			return nil, fmt.Errorf("id %d named twice", id)
		}
		byID[id] = name
	}
	if !p.AtEnd() {
		return nil, fmt.Errorf("trailing text after the dict in %q", clip(s))
	}
	out := make([]string, len(byID))
	for id, name := range byID {
		if id < 0 || id >= len(out) {
			return nil, fmt.Errorf("class ids must be 0..%d, got %d", len(out)-1, id)
		}
		out[id] = name
	}
	return out, nil
}

// parseIntList reads "[640, 640]".
func parseIntList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("%q is not a list", s)
	}
	var out []int
	for _, f := range strings.Split(s[1:len(s)-1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// pyParser reads a Python literal.
type pyParser struct{ scan.Scanner }

func (p *pyParser) int() (int, error) {
	p.Space()
	start := p.I
	if p.I < len(p.B) && p.B[p.I] == '-' {
		p.I++
	}
	p.Digits()
	n, err := strconv.Atoi(string(p.B[start:p.I]))
	if err != nil {
		return 0, fmt.Errorf("expected a class id at offset %d", start)
	}
	return n, nil
}

// str reads a Python string literal in single or double quotes, with
// backslash escapes as repr() writes them (\\, \', \", \n, \t, \xNN,
// \uNNNN).
func (p *pyParser) str() (string, error) {
	p.Space()
	if p.I >= len(p.B) || (p.B[p.I] != '\'' && p.B[p.I] != '"') {
		return "", fmt.Errorf("expected a quoted name at offset %d", p.I)
	}
	q := p.B[p.I]
	p.I++
	var sb strings.Builder
	for p.I < len(p.B) {
		c := p.B[p.I]
		switch {
		case c == q:
			p.I++
			return sb.String(), nil
		case c == '\\' && p.I+1 < len(p.B):
			r, n, err := pyEscape(p.B[p.I:])
			if err != nil {
				return "", err
			}
			sb.WriteString(r)
			p.I += n
		default:
			sb.WriteByte(c)
			p.I++
		}
	}
	return "", fmt.Errorf("unterminated string")
}

func pyEscape(s []byte) (string, int, error) {
	switch s[1] {
	case 'n':
		return "\n", 2, nil
	case 't':
		return "\t", 2, nil
	case 'r':
		return "\r", 2, nil
	case 'x', 'u', 'U':
		n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
		if len(s) < 2+n {
			return "", 0, fmt.Errorf("short \\%c escape", s[1])
		}
		v, err := strconv.ParseUint(string(s[2:2+n]), 16, 32)
		if err != nil {
			return "", 0, fmt.Errorf("bad \\%c escape: %w", s[1], err)
		}
		return string(rune(v)), 2 + n, nil
	}
	return string(s[1:2]), 2, nil // \\ \' \" and anything else: the character itself
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
