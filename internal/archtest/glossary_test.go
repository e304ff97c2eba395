package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// glossaryPath is the list of preferred Chinese terms.
const glossaryPath = "../../docs/glossary.md"

// zhCatalogs are the files that hold the Chinese a person reads: the
// CLI's, the API's, the verifier's, the pages' and the PDF documents'. Their Chinese is
// every string literal (every quoted string in i18n.js) with a Chinese
// character in it.
var zhCatalogs = []string{
	"cmd/custos/messages.go",
	"cmd/custos/flagszh.go",
	"cmd/custos/shorts.go",
	"cmd/custos/longs.go",
	"cmd/custos-verify/zh.go",
	"internal/problem/messages.go",
	"internal/verifycli/words.go",
	"internal/verifycli/ers.go", // the evidence record's reasons
	"web/static/i18n.js",
	// The PDF documents' text: the 公证书 and the 作品登记证书.
	"notary/document/document.go",
	"notary/document/notarial.go",
	"notary/document/copyright.go",
	"notary/document/item.go",
}

// avoided is a term of the glossary's Avoid column with the phrases of
// its Except in column, where it is allowed.
type avoided struct {
	term   string
	except []string
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	jsString   = regexp.MustCompile(`'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"`)
)

// readGlossary returns the avoided terms of the table under "## Terms".
func readGlossary(t *testing.T) []avoided {
	t.Helper()
	b, err := os.ReadFile(glossaryPath)
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n## Terms\n")
	if !ok {
		t.Fatalf("%s: no \"## Terms\" section", glossaryPath)
	}
	table, _, _ = strings.Cut(table, "\n## ")
	var out []avoided
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| Concept") {
			continue
		}
		var except []string
		for _, m := range backticked.FindAllStringSubmatch(cells[4], -1) {
			except = append(except, m[1])
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[3], -1) {
			out = append(out, avoided{m[1], except})
		}
	}
	if len(out) < 10 {
		t.Fatalf("%s: read %d avoided terms: the parser no longer understands the table", glossaryPath, len(out))
	}
	return out
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// chineseStrings returns the strings with Chinese in them of the catalog
// path, each with its line.
func chineseStrings(t *testing.T, path string) map[string]int {
	t.Helper()
	src, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	if strings.HasSuffix(path, ".go") {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && hasHan(s) {
					out[s] = fset.Position(lit.Pos()).Line
				}
			}
			return true
		})
		return out
	}
	for i, line := range strings.Split(string(src), "\n") {
		for _, m := range jsString.FindAllStringSubmatch(line, -1) {
			if s := m[1] + m[2]; hasHan(s) {
				out[s] = i + 1
			}
		}
	}
	return out
}

// TestGlossary: no catalog of Chinese text uses a term that
// docs/glossary.md says to avoid, except in a phrase it allows.
func TestGlossary(t *testing.T) {
	terms := readGlossary(t)
	excepted := map[string]bool{} // the allowed phrases found in a catalog
	for _, path := range zhCatalogs {
		strs := chineseStrings(t, path)
		if len(strs) == 0 {
			t.Errorf("%s: no Chinese found", path)
		}
		for s, line := range strs {
			for _, a := range terms {
				for _, e := range a.except {
					if strings.Contains(s, e) {
						excepted[e] = true
					}
				}
			}
			for _, a := range terms {
				rest := s
				for _, e := range a.except {
					rest = strings.ReplaceAll(rest, e, "")
				}
				if strings.Contains(rest, a.term) {
					t.Errorf("%s:%d: %q uses %q, which docs/glossary.md says to avoid", path, line, s, a.term)
				}
			}
		}
	}
	// An exception the catalogs no longer use is a stale line of the
	// glossary: the doc and the text disagree.
	for _, a := range terms {
		for _, e := range a.except {
			if !excepted[e] {
				t.Errorf("docs/glossary.md allows %q beside %q, but no catalog uses it: remove the exception", e, a.term)
			}
		}
	}
}

// TestGlossaryCatches: the check finds an avoided term and spares it in
// an allowed phrase.
func TestGlossaryCatches(t *testing.T) {
	terms := readGlossary(t)
	find := func(s string) bool {
		for _, a := range terms {
			rest := s
			for _, e := range a.except {
				rest = strings.ReplaceAll(rest, e, "")
			}
			if strings.Contains(rest, a.term) {
				return true
			}
		}
		return false
	}
	for s, want := range map[string]bool{"此密钥已被吊销。": true, "组织名称": true, "组织（O）": false, "此密钥已被撤销。": false,
		"公证事项：保全证据（电子数据）": false, "案件事项": true, "公证事项与其他事项": true} {
		if got := find(s); got != want {
			t.Errorf("find(%q) = %v, want %v", s, got, want)
		}
	}
}

// isCJK reports whether r is a Chinese character or a full-width
// punctuation mark or form (the CJK Symbols and Punctuation and the
// Halfwidth and Fullwidth Forms blocks): what an ASCII colon after it
// would follow in Chinese text.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
}

// asciiColon returns the first place in s where an ASCII colon follows a
// CJK character and ends a label ("标签: 值", or "标签:" at the end, to
// which the code adds the value), or "" if there is none.
func asciiColon(s string) string {
	rs := []rune(s)
	for i := 1; i < len(rs); i++ {
		if rs[i] == ':' && isCJK(rs[i-1]) && (i+1 == len(rs) || unicode.IsSpace(rs[i+1])) {
			return string(rs[max(i-6, 0):min(i+4, len(rs))])
		}
	}
	return ""
}

// TestChineseColon: a Chinese label in a catalog is followed by the
// full-width colon, 标签：值, never by an ASCII colon and a space, which
// is English typography. (The English strings of the same files, and the
// JSON and the lines for scripts, keep their ASCII colons.)
func TestChineseColon(t *testing.T) {
	for _, path := range zhCatalogs {
		for s, line := range chineseStrings(t, path) {
			if at := asciiColon(s); at != "" {
				t.Errorf("%s:%d: %q has an ASCII colon after Chinese (%q); write the full-width colon ：", path, line, s, at)
			}
		}
	}
}

// TestChineseColonCatches: the check finds "标签: 值" and "标签:" and
// spares the full-width colon and an ASCII colon after Latin letters.
func TestChineseColonCatches(t *testing.T) {
	for s, want := range map[string]bool{
		"签署者: 张三": true, "签署者:": true, "（可选）: 值": true,
		"签署者：张三": false, "Authorization: Bearer <令牌>": false, "类型:名称": false, "http://127.0.0.1:8080 地址": false,
	} {
		if got := asciiColon(s) != ""; got != want {
			t.Errorf("asciiColon(%q) = %q, want found %v", s, asciiColon(s), want)
		}
	}
}

// TestChineseComma: a Chinese phrase in a catalog is followed by the
// full-width comma ，or the enumeration comma 、, never by an ASCII
// comma, which is English typography ("律师事务所, 法院"). A comma that
// goes on in English words belongs to a line bilingual in every locale,
// which keeps its English punctuation ("VALID 有效, with warnings", as
// the verifier prints it; docs/glossary.md). (Lists the code joins at run
// time are problem.List's, joined with 、 in Chinese.)
func TestChineseComma(t *testing.T) {
	for _, path := range zhCatalogs {
		for s, line := range chineseStrings(t, path) {
			if at := asciiComma(s); at != "" {
				t.Errorf("%s:%d: %q has an ASCII comma after Chinese (%q); write ，or 、", path, line, s, at)
			}
		}
	}
}

// TestChineseCommaCatches: the check finds "法院, 公证处" and "法院,公证处"
// and spares the full-width commas and an ASCII comma after Latin letters.
func TestChineseCommaCatches(t *testing.T) {
	for s, want := range map[string]bool{
		"法院, 公证处": true, "法院,公证处": true, "（可选）, 值": true,
		"法院、公证处": false, "法院，公证处": false, "court, notary 之一": false, "2, 3 号": false,
		"VALID 有效, with warnings": false,
	} {
		if got := asciiComma(s) != ""; got != want {
			t.Errorf("asciiComma(%q) = %q, want found %v", s, asciiComma(s), want)
		}
	}
}

// asciiComma returns the first place in s where an ASCII comma follows a
// CJK character and does not go on in English (", with"), or "" if there
// is none.
func asciiComma(s string) string {
	rs := []rune(s)
	for i := 1; i < len(rs); i++ {
		english := i+2 < len(rs) && rs[i+1] == ' ' && (rs[i+2] >= 'a' && rs[i+2] <= 'z' || rs[i+2] >= 'A' && rs[i+2] <= 'Z')
		if rs[i] == ',' && isCJK(rs[i-1]) && !english {
			return string(rs[max(i-6, 0):min(i+4, len(rs))])
		}
	}
	return ""
}
