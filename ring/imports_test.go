package ring

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden are imports that would let the package do I/O, read the clock,
// start or synchronise goroutines, or be nondeterministic. The ring must be a
// pure function of its inputs so every node computes the same placement.
var forbidden = []string{"os", "net", "time", "sync", "syscall", "unsafe", "runtime", "io", "math/rand", "crypto/rand", "log", "embed"}

func TestImportsAndPurity(t *testing.T) {
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
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports non-standard package %q", name, path)
			}
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %q; the package must not do I/O, use clocks, randomness or concurrency", name, path)
				}
			}
		}
		checkNoGoStatements(t, fset, name)
	}
	if checked == 0 {
		t.Fatal("no non-test files found; is the test running in the package directory?")
	}
}

func checkNoGoStatements(t *testing.T, fset *token.FileSet, name string) {
	f, err := parser.ParseFile(fset, name, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok {
			t.Errorf("%s: go statement; the package must start no goroutines", fset.Position(g.Pos()))
		}
		return true
	})
}
