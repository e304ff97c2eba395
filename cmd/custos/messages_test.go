package main

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"

	prob "github.com/custos-project/custos/internal/problem"
)

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

var (
	// englishPhrase is three English words in a row: a phrase left
	// untranslated (as internal/problem's TestCatalogComplete has it).
	englishPhrase = regexp.MustCompile(`[A-Za-z]+(?: [a-z]+){2,}`)
	// notWords are what a Chinese message rightly holds in English: its
	// {parameters}, a command to run, and a docs section's title (the
	// docs are in English).
	notWords = regexp.MustCompile(`\{\w+\}|custos(?: [a-z][\w-]*)+|docs/[\w-]+\.md[，,] ?[^）)。]+`)
)

// TestCLICatalog fails on a message of the CLI's catalog without both
// languages, with Chinese that has no Chinese in it or holds an English
// phrase, or with other parameters in one language than in the other.
func TestCLICatalog(t *testing.T) {
	for id, w := range messages {
		if w.en == "" || w.zh == "" {
			t.Errorf("%q: en %q, zh %q: want both", id, w.en, w.zh)
			continue
		}
		if !hasHan(w.zh) && !strings.ContainsAny(w.zh, "（）：；，。、") { // "aside" is Chinese by its parentheses alone
			t.Errorf("%q: zh %q has no Chinese", id, w.zh)
		}
		if m := englishPhrase.FindString(notWords.ReplaceAllString(w.zh, "")); m != "" {
			t.Errorf("%q: zh %q holds the English phrase %q", id, w.zh, m)
		}
		if en, zh := prob.Params(w.en), prob.Params(w.zh); !slices.Equal(en, zh) {
			t.Errorf("%q: parameters en %v, zh %v", id, en, zh)
		}
	}
}

// catalogCalls are the functions of cmd/custos whose argument at the index
// is a message id of the catalog, its parameters (name, value pairs) after.
var catalogCalls = map[string]int{"usageError": 0, "failure": 1, "notice": 0, "noticeTo": 1, "tr": 0, "wrapped": 1}

// argsCalls are the functions whose argument at the index says the
// arguments a command takes, in English words that the catalog's "args."
// entries put into Chinese.
var argsCalls = map[string]int{"positional": 1, "getCmd": 3}

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
				if i, ok := argsCalls[name.Name]; ok && len(n.Args) > i {
					if s, ok := stringLit(n.Args[i]); ok {
						used["args."+s] = true
						if _, ok := messages["args."+s]; !ok {
							t.Errorf("%s: %s(…, %q): no catalog entry %q", fset.Position(n.Pos()), name.Name, s, "args."+s)
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
				if name.Name == "wrapped" {
					got = append(got, "err") // the cause, which wrapped gives
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
		if !used[id] && !strings.HasPrefix(id, "col.") && !strings.HasPrefix(id, "cobra.") && !strings.HasPrefix(id, "flagvalue.") && !strings.HasPrefix(id, "val.") && !strings.HasPrefix(id, "label.") { // cobra.: TestCobraZH; flagvalue.: TestFlagValueErrorZH; val.: TestCellValues; label.: TestRecordLabelsZH
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

// TestShortsZH fails on a command of the tree without a Chinese one-line
// description, or with one that has no Chinese, and on an entry for a
// command that does not exist.
func TestShortsZH(t *testing.T) {
	seen := map[string]bool{}
	walk(newRoot(), func(c *cobra.Command) {
		p := c.CommandPath()
		seen[p] = true
		if s, ok := shortsZH[p]; !ok {
			t.Errorf("%s: no Chinese Short in shortsZH (shorts.go)", p)
		} else if !hasHan(s) {
			t.Errorf("%s: Chinese Short %q has no Chinese", p, s)
		}
	})
	for p := range shortsZH {
		if !seen[p] {
			t.Errorf("shortsZH[%q]: no such command", p)
		}
	}
}

// TestLanguageFromLocale runs the built binary under a Chinese and an
// English locale: a usage error and --help come in the locale's language,
// with the exit status unchanged.
func TestLanguageFromLocale(t *testing.T) {
	for _, tc := range []struct {
		locale    string
		usage     string // in the usage error of a bare submit
		help, not string // in, and not in, custos matter --help
	}{
		{"zh_CN.UTF-8", "submit 需要至少一个 FILE", "用法：", "Usage:"},
		{"zh_SG.UTF-8", "submit 需要至少一个 FILE", "可用命令：", "Available Commands:"},
		{"C.UTF-8", "submit needs at least one FILE", "Usage:", "用法"},
		{"zh_TW.UTF-8", "submit needs at least one FILE", "Available Commands:", "可用命令"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			env := []string{"LC_ALL=" + tc.locale}
			_, err := runCustosEnv(t, env, "submit")
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(err.Error(), tc.usage) {
				t.Errorf("custos submit = %v, want exit status 2 and %q", err, tc.usage)
			}
			out, err := runCustosEnv(t, env, "matter", "--help")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.help) || strings.Contains(out, tc.not) {
				t.Errorf("custos matter --help:\n%s\nwant %q and no %q", out, tc.help, tc.not)
			}
			if strings.HasPrefix(tc.locale, "zh_CN") && !strings.Contains(out, "列出本机构的案件") {
				t.Errorf("custos matter --help:\n%s\nwant the Chinese Short of matter list", out)
			}
		})
	}
}

// TestTableHeadersZH fails on a heading of a list table without a
// catalog entry, and on an entry that is no heading.
func TestTableHeadersZH(t *testing.T) {
	heads := map[string]bool{"SEQ": true, "TIME": true, "TYPE": true, "ACTOR": true, "SUBJECT": true, "SINCE": true, "LAST": true, "READS": true} // custody.go
	for _, cols := range listColumns {
		for _, c := range cols {
			heads[c.header] = true
		}
	}
	for h := range heads {
		if _, ok := messages["col."+h]; !ok {
			t.Errorf("heading %q: no catalog entry %q", h, "col."+h)
		}
	}
	for id := range messages {
		if h, ok := strings.CutPrefix(id, "col."); ok && !heads[h] {
			t.Errorf("catalog entry %q: no table has the heading %q", id, h)
		}
	}
}
