package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	prob "github.com/custos-project/custos/internal/problem"
)

// catalogCalls are the functions whose argument idArg is a catalog id
// and whose arguments after it are its parameters as name, value pairs,
// in the files that use the catalog (import internal/problem).
var catalogCalls = map[string]int{
	"M": 0, "NewFieldError": 1, "Refuse": 1, "badInput": 0, "bad": 0, "inputError": 0, "idNumberError": 0,
	"errGone": 0, "errInvalid": 0, "errForbidden": 0, "errParam": 0,
}

// TestEveryProblemFromCatalog reads the module's source and fails when a
// problem's message does not come from the catalog (internal/problem),
// when an id is not in it, or when a call gives other parameters than the
// entry has. Types already force every problem(...) in api to take
// catalog messages (prob.Msg); this checks the ids and their parameters,
// which the compiler cannot. It also fails when a handler of api/ writes
// a problem without the request's language (problem.Write), and when a
// catalog entry is used nowhere.
func TestEveryProblemFromCatalog(t *testing.T) {
	used := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", ".git", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checkCatalogFile(t, fset, path, f, used)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range prob.IDs() {
		if !used[id] {
			t.Errorf("catalog entry %q is used nowhere: remove it", id)
		}
	}
}

func checkCatalogFile(t *testing.T, fset *token.FileSet, path string, f *ast.File, used map[string]bool) {
	t.Helper()
	inAPI := strings.HasPrefix(filepath.ToSlash(path), "../api/")
	usesCatalog := f.Name.Name == "problem"
	for _, im := range f.Imports {
		usesCatalog = usesCatalog || im.Path.Value == `"github.com/custos-project/custos/internal/problem"`
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			// A literal that reads as a catalog id of a family
			// ("title.", "field.", …) must be one.
			if id, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING {
				if _, ok := prob.Lookup(id); ok {
					used[id] = true
				} else if hasCatalogPrefix(id) {
					t.Errorf("%s: %q is not in the catalog", fset.Position(n.Pos()), id)
				}
			}
		case *ast.CompositeLit:
			// A field error's message is a catalog message:
			// evidence.NewFieldError, not a literal with Message.
			if tn := callName(n.Type); (tn == "FieldError" || tn == "evidence.FieldError") && !strings.HasSuffix(filepath.ToSlash(path), "evidence/errors.go") {
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok && callName(kv.Key) == "Message" {
						t.Errorf("%s: a FieldError with a Message of its own: use evidence.NewFieldError", fset.Position(n.Pos()))
					}
				}
			}
		case *ast.CallExpr:
			name := callName(n.Fun)
			if inAPI && name == "problem.Write" {
				t.Errorf("%s: problem.Write answers in English only; use problem.Localized", fset.Position(n.Pos()))
			}
			if usesCatalog {
				checkCatalogCall(t, fset, n, name)
			}
		}
		return true
	})
}

func hasCatalogPrefix(s string) bool {
	for _, p := range []string{"title.", "field.", "kind.", "char.", "who."} {
		if strings.HasPrefix(s, p) && !strings.ContainsAny(s, " /") {
			return true
		}
	}
	return false
}

func callName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return x.Name + "." + f.Sel.Name
		}
	}
	return ""
}

func checkCatalogCall(t *testing.T, fset *token.FileSet, call *ast.CallExpr, name string) {
	t.Helper()
	short := name[strings.LastIndex(name, ".")+1:]
	idArg, ok := catalogCalls[short]
	if !ok || (short == "M" && name != "M" && name != "prob.M" && name != "problem.M") || len(call.Args) <= idArg {
		return
	}
	pos := fset.Position(call.Pos())
	lit, ok := call.Args[idArg].(*ast.BasicLit)
	if !ok {
		if call.Ellipsis.IsValid() {
			return // a helper forwarding its own id and parameters
		}
		t.Errorf("%s: %s: the message id must be a literal of the catalog", pos, name)
		return
	}
	id, _ := strconv.Unquote(lit.Value)
	e, ok := prob.Lookup(id)
	if !ok {
		t.Errorf("%s: %s(%q): no such catalog entry", pos, name, id)
		return
	}
	var got []string
	kv := call.Args[idArg+1:]
	if len(kv)%2 != 0 {
		t.Errorf("%s: %s(%q): parameters must be name, value pairs", pos, name, id)
		return
	}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(*ast.BasicLit)
		if !ok {
			t.Errorf("%s: %s(%q): parameter %d's name is not a literal", pos, name, id, i/2)
			return
		}
		s, _ := strconv.Unquote(k.Value)
		got = append(got, s)
	}
	slices.Sort(got)
	if want := prob.Params(e.EN); !slices.Equal(got, want) {
		t.Errorf("%s: %s(%q) gives parameters %v, the entry has %v", pos, name, id, got, want)
	}
}
