package settings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// notProduction are the folders of the module whose code may spell a
// variable's name: tests' and benchmarks' helpers, and infra (a module of
// its own, whose contract test checks its names against this table).
var notProduction = map[string]bool{
	"infra": true, "internal": true, "e2e": true, "benchmarks": true, "settings": true,
	".cache": true, "node_modules": true, "testdata": true, "tools": true,
}

// TestNoOtherPackageSpellsAName keeps the table the only place a name is
// written in code: comments and tests may name variables, code goes
// through a *Var.
func TestNoOtherPackageSpellsAName(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != ".." && (notProduction[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, Prefix) {
				t.Errorf("%s spells %s: use the settings table's Var instead", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d Go files: has the module moved?", files)
	}
}
