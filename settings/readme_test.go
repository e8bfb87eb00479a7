package settings

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var documentedName = regexp.MustCompile(`BATCHINFER_[A-Z0-9_]+(<[A-Z]+>)?`)

// docs reads README.md and docs/*.md.
func docs(t *testing.T) map[string]string {
	paths, _ := filepath.Glob("../docs/*.md")
	out := map[string]string{}
	for _, p := range append(paths, "../README.md") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

// TestDocsMatchTheTable: every name the docs give is declared, every
// declared name a user sets is documented, and README's Configuration
// table gives each of its variables the table's default.
func TestDocsMatchTheTable(t *testing.T) {
	all := docs(t)
	var joined strings.Builder
	for p, text := range all {
		joined.WriteString(text)
		for _, name := range documentedName.FindAllString(text, -1) {
			if _, ok := Lookup(strings.SplitN(name, "<", 2)[0]); !ok {
				t.Errorf("%s names %s, which settings does not declare", p, name)
			}
		}
	}
	for _, v := range All {
		if v.Reads(Scripts) {
			continue // documented in the scripts that read them
		}
		if !strings.Contains(joined.String(), v.Name) {
			t.Errorf("%s (%s) is documented nowhere in README.md or docs/", v.Name, v.Doc)
		}
	}
	rows := 0
	for _, line := range strings.Split(configSection(t, all["../README.md"]), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		v, ok := Lookup(strings.Trim(strings.TrimSpace(cells[1]), "`"))
		if !ok {
			continue
		}
		rows++
		if def := strings.TrimSpace(cells[2]); v.Default != "" && !strings.Contains(def, v.Default) {
			t.Errorf("README gives %s the default %s; the table's is %q", v.Name, def, v.Default)
		}
		if !v.Reads(Worker) && !v.Reads(Metrics) {
			t.Errorf("README's Configuration table lists %s, which the worker does not read", v.Name)
		}
	}
	if rows < 20 {
		t.Errorf("README's Configuration table has %d rows of declared variables", rows)
	}
}

func configSection(t *testing.T, readme string) string {
	_, s, ok := strings.Cut(readme, "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	s, _, _ = strings.Cut(s, "\n## ")
	return s
}

// Lookup finds a declared variable by name; a family's members are found
// as the family.
func Lookup(name string) (*Var, bool) {
	for _, v := range All {
		if v.Name == name || (v.Family && strings.HasPrefix(name, v.Name)) {
			return v, true
		}
	}
	return nil, false
}
