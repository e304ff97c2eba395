package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	prob "github.com/custos-project/custos/internal/problem"
)

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// TestCLICatalog fails on a message of the CLI's catalog without both
// languages, with Chinese that has no Chinese in it, or with other
// parameters in one language than in the other.
func TestCLICatalog(t *testing.T) {
	for id, w := range messages {
		if w.en == "" || w.zh == "" {
			t.Errorf("%q: en %q, zh %q: want both", id, w.en, w.zh)
			continue
		}
		if !hasHan(w.zh) {
			t.Errorf("%q: zh %q has no Chinese", id, w.zh)
		}
		if en, zh := prob.Params(w.en), prob.Params(w.zh); !slices.Equal(en, zh) {
			t.Errorf("%q: parameters en %v, zh %v", id, en, zh)
		}
	}
}

// catalogCalls are the functions of cmd/custos whose argument at the index
// is a message id of the catalog, its parameters (name, value pairs) after.
var catalogCalls = map[string]int{"usageError": 0, "failure": 1, "notice": 0, "tr": 0}

// TestCLICatalogUsed reads cmd/custos's source and fails when a usage
// error, a failure or a notice does not take its words from the catalog:
// an id not in it (a raw sentence), an id given other parameters than its
// entry has, an exitError built with words of its own, or a
// positional(n, what) whose what is not a catalog "args." entry. It also
// fails on a catalog entry used nowhere.
func TestCLICatalogUsed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "exitError" {
					for _, e := range n.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "msg" && path != "messages.go" && path != "verify.go" {
							t.Errorf("%s: exitError with words of its own: use failure or usageError and the catalog", fset.Position(n.Pos()))
						}
					}
				}
			case *ast.CallExpr:
				if stderrWords(n) && path != "main.go" {
					t.Errorf("%s: words of its own on standard error: use notice and the catalog", fset.Position(n.Pos()))
				}
				name, _ := n.Fun.(*ast.Ident)
				if name == nil {
					return true
				}
				if name.Name == "positional" && len(n.Args) == 2 {
					if s, ok := stringLit(n.Args[1]); ok {
						used["args."+s] = true
						if _, ok := messages["args."+s]; !ok {
							t.Errorf("%s: positional(…, %q): no catalog entry %q", fset.Position(n.Pos()), s, "args."+s)
						}
					}
				}
				if name.Name == "getCmd" && len(n.Args) >= 4 {
					if s, ok := stringLit(n.Args[3]); ok {
						used["args."+s] = true
						if _, ok := messages["args."+s]; !ok {
							t.Errorf("%s: getCmd(…, %q): no catalog entry %q", fset.Position(n.Pos()), s, "args."+s)
						}
					}
				}
				i, ok := catalogCalls[name.Name]
				if !ok || len(n.Args) <= i {
					return true
				}
				id, ok := stringLit(n.Args[i])
				if !ok {
					if b, isBin := n.Args[i].(*ast.BinaryExpr); isBin {
						if p, ok := stringLit(b.X); ok && (p == "args." || p == "col.") {
							return true // checked by the callers' tests
						}
					}
					if id, ok := n.Args[i].(*ast.Ident); name.Name == "tr" || ok && id.Name == "id" {
						return true // the catalog's own helpers pass an id on
					}
					t.Errorf("%s: %s takes a catalog id, not an expression", fset.Position(n.Pos()), name.Name)
					return true
				}
				w, ok := messages[id]
				if !ok {
					t.Errorf("%s: %s(%q): not a catalog id; add the words to messages.go", fset.Position(n.Pos()), name.Name, id)
					return true
				}
				used[id] = true
				var got []string
				for j := i + 1; j < len(n.Args); j += 2 {
					if s, ok := stringLit(n.Args[j]); ok {
						got = append(got, s)
					}
				}
				slices.Sort(got)
				got = slices.Compact(got)
				if want := prob.Params(w.en); !slices.Equal(got, want) {
					t.Errorf("%s: %s(%q) gives parameters %v, the entry has %v", fset.Position(n.Pos()), name.Name, id, got, want)
				}
			}
			return true
		})
	}
	for id := range messages {
		if !used[id] && !strings.HasPrefix(id, "col.") {
			t.Errorf("catalog entry %q is used nowhere: remove it", id)
		}
	}
}

// stderrWords reports whether call is fmt.Fprint… to os.Stderr with a
// string literal that holds a letter (words, not layout).
func stderrWords(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !strings.HasPrefix(sel.Sel.Name, "Fprint") || len(call.Args) == 0 {
		return false
	}
	if w, ok := call.Args[0].(*ast.SelectorExpr); !ok || w.Sel.Name != "Stderr" {
		return false
	}
	for _, a := range call.Args[1:] {
		if s, ok := stringLit(a); ok && strings.ContainsFunc(s, unicode.IsLetter) {
			return true
		}
	}
	return false
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
