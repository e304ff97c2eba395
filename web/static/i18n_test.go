package static

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/problem"
)

var (
	// tableStart opens a language table: "    en: {" or "    zh: {".
	tableStart = regexp.MustCompile(`^\s*(en|zh):\s*\{\s*$`)
	tableEnd   = regexp.MustCompile(`^\s*\},?\s*$`)
	// entry is one "key: 'value'," line (the key bare or quoted; the
	// value in single or double quotes).
	entry = regexp.MustCompile(`^\s*(?:'([^']+)'|([A-Za-z_]\w*)):\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"),?\s*$`)
)

// readI18n reads the tables of i18n.js, by language, merged as the page
// merges its blocks; a key given twice in one language is an error.
func readI18n(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := fs.ReadFile(FS, "i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{"en": {}, "zh": {}}
	var cur string
	for i, line := range strings.Split(string(b), "\n") {
		switch m := tableStart.FindStringSubmatch(line); {
		case m != nil:
			cur = m[1]
			continue
		case cur != "" && tableEnd.MatchString(line):
			cur = ""
			continue
		case cur == "" || strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "//"):
			continue
		}
		e := entry.FindStringSubmatch(line)
		if e == nil {
			t.Errorf("i18n.js:%d: %q is not a key: 'text' line", i+1, line)
			continue
		}
		key, val := e[1]+e[2], e[3]+e[4]
		if _, dup := out[cur][key]; dup {
			t.Errorf("i18n.js:%d: %s key %q given twice", i+1, cur, key)
		}
		out[cur][key] = val
	}
	if len(out["en"]) < 50 || len(out["zh"]) < 50 {
		t.Fatalf("read %d en and %d zh keys from i18n.js: the parser no longer understands it", len(out["en"]), len(out["zh"]))
	}
	return out
}

// TestI18nComplete fails on a key of i18n.js missing from a language, an
// empty text, texts whose {placeholders} differ, or a Chinese text with no
// Chinese in it (an English string left untranslated).
func TestI18nComplete(t *testing.T) {
	tables := readI18n(t)
	en, zh := tables["en"], tables["zh"]
	for _, k := range sortedKeys(en) {
		z, ok := zh[k]
		switch {
		case !ok:
			t.Errorf("key %q has no Chinese text", k)
			continue
		case strings.TrimSpace(en[k]) == "" || strings.TrimSpace(z) == "":
			t.Errorf("key %q: en %q, zh %q: want both", k, en[k], z)
		case !hasHan(z) && !untranslatable[k]:
			t.Errorf("key %q: zh %q is not Chinese", k, z)
		}
		if pe, pz := problem.Params(en[k]), problem.Params(z); !slices.Equal(pe, pz) {
			t.Errorf("key %q: placeholders en %v, zh %v", k, pe, pz)
		}
	}
	for _, k := range sortedKeys(zh) {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q has no English text", k)
		}
	}
}

// untranslatable are keys whose Chinese text is rightly the same symbols
// as the English one.
var untranslatable = map[string]bool{
	"console.f.sha256": true, "doc.item.sha256": true, "evidence.sha256": true, "evidence.sm3": true, "timeline.utc": true,
}

var (
	dataI18n = regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([^"]+)"`)
	// keyCall is t('key', tr(lang, 'key', say('key' or say('element-id',
	// 'key': the key argument of the translating functions.
	keyCall = regexp.MustCompile(`\b(?:t|tr|say|fail)\(\s*(?:[\w.]+,\s*|'[a-z]+(?:-[a-z]+)+',\s*)?'([^']+)'`)
	// literal is any quoted string in a script that reads as a dotted key.
	literal   = regexp.MustCompile(`'([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)'`)
	elementID = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)+$`)
	fileExt   = regexp.MustCompile(`\.(json|wasm|js|pdf|pem|html|css|br|gz|der|tsr|png)$`)
)

// TestI18nKeysUsed fails on a data-i18n attribute of a page, or a key a
// script asks for, that i18n.js does not define in both languages.
func TestI18nKeysUsed(t *testing.T) {
	tables := readI18n(t)
	prefixes := map[string]bool{}
	for k := range tables["en"] {
		if p, _, ok := strings.Cut(k, "."); ok {
			prefixes[p] = true
		}
	}
	names, err := fs.Glob(FS, "*.*")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, name := range names {
		if name == "i18n.js" || !(strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".js")) {
			continue
		}
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		var keys []string
		for _, m := range dataI18n.FindAllStringSubmatch(src, -1) {
			keys = append(keys, m[1])
		}
		for _, m := range keyCall.FindAllStringSubmatch(src, -1) {
			keys = append(keys, m[1])
		}
		if strings.HasSuffix(name, ".js") {
			for _, m := range literal.FindAllStringSubmatch(src, -1) {
				p, _, _ := strings.Cut(m[1], ".")
				if prefixes[p] && !fileExt.MatchString(m[1]) {
					keys = append(keys, m[1])
				}
			}
		}
		for _, k := range keys {
			switch {
			case k == "" || strings.ContainsAny(k, " #[") || elementID.MatchString(k):
				continue // not a key: an empty message, a selector, an element's id
			case strings.HasSuffix(k, "."):
				// t('step.' + name): some key must begin so.
				if !slices.ContainsFunc(sortedKeys(tables["en"]), func(d string) bool { return strings.HasPrefix(d, k) }) {
					t.Errorf("%s builds keys from %q, which no key of i18n.js begins with", name, k)
				}
				continue
			}
			used++
			for _, lang := range []string{"en", "zh"} {
				if _, ok := tables[lang][k]; !ok {
					t.Errorf("%s uses key %q, which i18n.js has no %s text for", name, k, lang)
				}
			}
		}
	}
	if used < 100 {
		t.Fatalf("found %d key uses in the pages: the scan no longer understands them", used)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x3400 && r <= 0x9fff || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

var (
	scriptOrStyle = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->`)
	textAfterTag  = regexp.MustCompile(`<(/?[a-zA-Z][^>]*)>([^<]*)`)
	latinWord     = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// sameInBoth are the texts a page shows as they are in both languages.
var sameInBoth = map[string]bool{"Custos": true, "English": true, "/verify": true}

// TestPagesHaveNoFixedText fails on a text of a page, outside scripts,
// that is written in the HTML in one language only: each goes through
// data-i18n (the <title> is set by the script), is the same in both
// languages, or (the notice without JavaScript) is written in both.
func TestPagesHaveNoFixedText(t *testing.T) {
	names, err := fs.Glob(FS, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		src := scriptOrStyle.ReplaceAllString(string(b), "")
		for _, m := range textAfterTag.FindAllStringSubmatch(src, -1) {
			tag, text := m[1], strings.TrimSpace(m[2])
			if !latinWord.MatchString(text) || strings.Contains(tag, "data-i18n") || tag == "title" || sameInBoth[text] || hasHan(text) {
				continue
			}
			t.Errorf("%s: <%s> holds %q in one language: give it a data-i18n key", name, tag, text)
		}
	}
}

// docEventType finds a custody event type in docs/custody-events.md.
var docEventType = regexp.MustCompile("`(created|viewed|downloaded|listed|shared|unshared|certified|(?:copyright|ers|org|key|webhook)\\.[a-z_.]*[a-z])`")

// TestEventTypesNamed: the verification page names every custody event
// type docs/custody-events.md lists (event.<type>, in both languages;
// TestI18nComplete checks the Chinese), so that a Chinese page shows no
// English type.
func TestEventTypesNamed(t *testing.T) {
	tables := readI18n(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "custody-events.md"))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, m := range docEventType.FindAllStringSubmatch(string(b), -1) {
		types[m[1]] = true
	}
	if len(types) < 30 {
		t.Fatalf("found %d event types in docs/custody-events.md: the pattern no longer matches", len(types))
	}
	for typ := range types {
		if tables["zh"]["event."+typ] == "" {
			t.Errorf("event type %s: i18n.js has no event.%s", typ, typ)
		}
	}
}

// labelBefore is a CSS rule that writes a cell's label before its value:
// its selector and the text after attr(data-label).
var labelBefore = regexp.MustCompile(`(?m)^\s*([^{}\n]*)\{[^}]*content:\s*attr\(data-label\)\s*"([^"]*)"`)

// TestLabelColonZH: a style sheet that writes "label: value" before a
// cell on a phone writes it "标签：值" on a Chinese page (:lang(zh)) for
// the same cells.
func TestLabelColonZH(t *testing.T) {
	for _, name := range []string{"verify.css", "console.css"} {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		zh := map[string]string{}
		var en []string
		for _, m := range labelBefore.FindAllStringSubmatch(string(b), -1) {
			sel := strings.TrimSpace(m[1])
			if rest, ok := strings.CutPrefix(sel, ":lang(zh) "); ok {
				zh[rest] = m[2]
				continue
			}
			en = append(en, sel)
		}
		if len(en) == 0 {
			t.Errorf("%s: no rule writes a cell's label: the scan no longer understands it", name)
		}
		for _, sel := range en {
			if got, ok := zh[sel]; !ok || got != "：" {
				t.Errorf("%s: %s writes its label with %q after it in Chinese, want %q under :lang(zh)", name, sel, got, "：")
			}
		}
	}
}
