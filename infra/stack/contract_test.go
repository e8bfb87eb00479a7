package stack

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The stack configures a worker it cannot import: infra is its own module
// (jsii and CDK on one side, cgo and ONNX Runtime on the other). These
// tests tie the two by reading the worker's Go source with go/parser:
// string literals and constant declarations, wherever in the package they
// live, so a rename on either side fails here instead of at deploy time.
// The AST, unlike a text search, ignores comments and finds a constant
// after its file is split or renamed.

// settingsSource declares every BATCHINFER_ variable, with what reads it
// (settings/table.go); modelSource reads ONNXRUNTIME_LIB.
const (
	settingsSource = "../../settings"
	modelSource    = "../../model"
)

// functionReaders are the settings readers that run in the function.
var functionReaders = map[string]bool{"Worker": true, "Metrics": true, "Poll": true}

// requiredVars are the variables the worker refuses to start without
// (README "Configuration", DESIGN.md "Contracts").
var requiredVars = []string{
	"ONNXRUNTIME_LIB", "BATCHINFER_MODELS", "BATCHINFER_RESULTS_TABLE",
	"BATCHINFER_RESULTS_BUCKET", "BATCHINFER_DLQ_URL",
}

var envName = regexp.MustCompile(`^(BATCHINFER_[A-Z0-9_]+|ONNXRUNTIME_LIB)$`)

func TestEnvironmentNamesAreTheWorkers(t *testing.T) {
	read := functionVars(t)
	for _, lit := range stringLiterals(t, modelSource) {
		if envName.MatchString(lit) {
			read[lit] = true
		}
	}
	if len(read) < len(requiredVars) {
		t.Fatalf("found only %v in %s and %s: has the worker's configuration moved?", slices.Sorted(maps.Keys(read)), settingsSource, modelSource)
	}
	env := synth(t, VariantImage).b.Environment()
	for name := range env {
		if !read[name] {
			t.Errorf("the stack sets %s, which the worker never reads (it reads %v)", name, slices.Sorted(maps.Keys(read)))
		}
	}
	for _, name := range requiredVars {
		if !read[name] {
			t.Errorf("required variable %s is not read by the worker any more", name)
		}
		if _, ok := env[name]; !ok {
			t.Errorf("the stack does not set %s, which the worker requires", name)
		}
	}
}

// TestPollerEnvironmentNamesAreTheWorkers: every variable the poller's
// container gets is one the settings table says the worker, the poll loop
// or the metrics read (functionReaders).
func TestPollerEnvironmentNamesAreTheWorkers(t *testing.T) {
	read := functionVars(t)
	for _, lit := range stringLiterals(t, modelSource) {
		if envName.MatchString(lit) {
			read[lit] = true
		}
	}
	env := synthConfig(t, "fargate", fargateConfig()).b.PollerEnvironment()
	for name := range env {
		if !read[name] {
			t.Errorf("the poller's container sets %s, which `batchinfer poll` never reads", name)
		}
	}
}

func TestStatusIndexIsTheStores(t *testing.T) {
	got, ok := constString(t, "../../store", "StatusIndex")
	if !ok {
		t.Fatal("package store declares no string constant StatusIndex")
	}
	if got != StatusIndex {
		t.Errorf("store.StatusIndex = %q, the stack's index is %q: queries by status would find no index", got, StatusIndex)
	}
	for name, want := range map[string]string{"StatusShardAttr": StatusShardAttr, "LegacyStatusIndex": LegacyStatusIndex} {
		if got, ok := constString(t, "../../store", name); !ok || got != want {
			t.Errorf("store.%s = %q (found %v), the stack's is %q", name, got, ok, want)
		}
	}
	if got := varStrings(t, "../../store", "IndexProjection"); !slices.Equal(got, IndexProjection) {
		t.Errorf("store.IndexProjection = %v, the stack projects %v: listed items would lack attributes", got, IndexProjection)
	}
}

// varStrings returns the string literals of the []string{...} variable
// name declared in dir.
func varStrings(t *testing.T, dir, name string) []string {
	t.Helper()
	var out []string
	for _, f := range parseDir(t, dir) {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
				return true
			}
			if cl, ok := vs.Values[0].(*ast.CompositeLit); ok {
				for _, e := range cl.Elts {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
			return false
		})
	}
	return out
}

// functionVars reads the settings table's entries, add("NAME", Kind,
// "default", Reader, "doc", more readers...), and returns the full names
// of those a reader in the function reads.
func functionVars(t *testing.T) map[string]bool {
	t.Helper()
	prefix, ok := constString(t, settingsSource, "Prefix")
	if !ok {
		t.Fatalf("package settings declares no string constant Prefix")
	}
	out := map[string]bool{}
	for _, f := range parseDir(t, settingsSource) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 5 {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "add" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			// The readers: the fourth argument and any after the doc.
			for _, a := range append([]ast.Expr{call.Args[3]}, call.Args[5:]...) {
				if id, ok := a.(*ast.Ident); ok && functionReaders[id.Name] {
					out[prefix+name] = true
				}
			}
			return true
		})
	}
	return out
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		files = append(files, f)
	}
	return files
}

// stringLiterals lists every string literal in dir's non-test files.
func stringLiterals(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range parseDir(t, dir) {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// constString finds the top-level constant name in dir, if it is a string
// literal.
func constString(t *testing.T, dir, name string) (string, bool) {
	t.Helper()
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, err := strconv.Unquote(lit.Value)
						return s, err == nil
					}
				}
			}
		}
	}
	return "", false
}
