// Package purity checks, from a package's own tests, that its non-test
// files keep the rules of a pure package: standard library imports only,
// none of a forbidden list, no goroutines, and no clock reads through
// package time. Pure packages (ring, vclock, members) call Check so that a
// stray import fails the build's tests, not a code review.
package purity

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// clockReads are the functions of package time that read the clock or
// start timers.
var clockReads = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true,
}

// Check parses the non-test .go files of the current directory (a test
// runs in its package's directory) and fails t on any import outside the
// standard library, any import of forbidden (or a path under one), any go
// statement, and any clock read through package time.
func Check(t *testing.T, forbidden ...string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		timeName := checkImports(t, name, f, forbidden)
		checkBody(t, fset, f, timeName)
	}
	if checked == 0 {
		t.Fatal("no non-test files found; is the test running in the package directory?")
	}
}

// checkImports reports bad imports and returns the local name of package
// time in f ("" when f does not import it).
func checkImports(t *testing.T, name string, f *ast.File, forbidden []string) string {
	t.Helper()
	timeName := ""
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		// Standard library paths have no dot in their first element.
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			t.Errorf("%s imports %q, outside the standard library", name, path)
		}
		for _, bad := range forbidden {
			if path == bad || strings.HasPrefix(path, bad+"/") {
				t.Errorf("%s imports %q, which a pure package must not", name, path)
			}
		}
		if path == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	return timeName
}

func checkBody(t *testing.T, fset *token.FileSet, f *ast.File, timeName string) {
	t.Helper()
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && timeName != "" && x.Name == timeName && clockReads[n.Sel.Name] {
				t.Errorf("%s: reads the clock (time.%s); take time as an argument", fset.Position(n.Pos()), n.Sel.Name)
			}
		case *ast.GoStmt:
			t.Errorf("%s: starts a goroutine", fset.Position(n.Pos()))
		}
		return true
	})
}
