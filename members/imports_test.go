package members

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Forbidden import paths (and everything under them): the package does no
// I/O, no networking, and is owned by one actor so needs no locks.
var forbiddenImports = []string{"os", "net", "sync", "syscall", "unsafe", "io"}

// Functions of package time that read the clock or start timers.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true,
}

func TestNonTestFilesArePure(t *testing.T) {
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
		timeName := checkImports(t, name, f)
		checkBody(t, fset, f, timeName)
	}
	if checked < 4 {
		t.Fatalf("only %d non-test files found; is the test running in the package directory?", checked)
	}
}

// checkImports fails on a non-standard or forbidden import and returns the
// local name of package time in f ("" if not imported).
func checkImports(t *testing.T, name string, f *ast.File) string {
	t.Helper()
	timeName := ""
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		// Standard library paths have no dot in their first element.
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			t.Errorf("%s imports %q, outside the standard library", name, path)
		}
		for _, bad := range forbiddenImports {
			if path == bad || strings.HasPrefix(path, bad+"/") {
				t.Errorf("%s imports %q", name, path)
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

// checkBody fails on clock reads through package time and on go statements.
func checkBody(t *testing.T, fset *token.FileSet, f *ast.File, timeName string) {
	t.Helper()
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && timeName != "" && x.Name == timeName && forbiddenTime[n.Sel.Name] {
				t.Errorf("%s: uses time.%s", fset.Position(n.Pos()), n.Sel.Name)
			}
		case *ast.GoStmt:
			t.Errorf("%s: starts a goroutine", fset.Position(n.Pos()))
		}
		return true
	})
}
