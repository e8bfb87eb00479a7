package local

import (
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImportsMatchTheDoc keeps doc.go's claim true: which of our packages
// each part of the local Lambda may use.
func TestImportsMatchTheDoc(t *testing.T) {
	const ours = "github.com/batchinfer/batchinfer/"
	allowed := map[string][]string{
		"rie.go":        {ours + "pinned"},
		"proc_linux.go": nil,
		"response.go":   nil,
		"esm.go":        {ours + "store"},
		"event.go":      {ours + "store"},
	}
	for file, allow := range allowed {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, ours) && !slices.Contains(allow, path) {
				t.Errorf("%s imports %s; doc.go allows it only %v", file, path, allow)
			}
		}
	}
}
