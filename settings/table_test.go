package settings

import (
	"regexp"
	"testing"
)

var wellFormed = regexp.MustCompile(`^BATCHINFER_[A-Z0-9_]+$`)

// TestTable checks every entry: a well-formed, unique name, a reader, a
// line of doc, and a default its own kind parses (Env falls back to it).
func TestTable(t *testing.T) {
	if len(All) < 40 {
		t.Fatalf("only %d variables declared", len(All))
	}
	seen := map[string]bool{}
	for _, v := range All {
		if !wellFormed.MatchString(v.Name) || seen[v.Name] {
			t.Errorf("%q: malformed or declared twice", v.Name)
		}
		seen[v.Name] = true
		if len(v.ReadBy) == 0 || v.Doc == "" {
			t.Errorf("%s: no reader or no doc", v.Name)
		}
		if v.Default == "" {
			continue
		}
		e := env(map[string]string{v.Name: v.Default})
		switch v.Kind {
		case Int:
			e.Int(v, 0)
		case Float:
			e.Float(v)
		case Duration:
			e.Duration(v)
		case Switch:
			e.Switch(v)
		}
		if err := e.Err(); err != nil {
			t.Errorf("default: %v", err)
		}
	}
}
