package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// headingSlug is the anchor GitHub gives a Markdown heading: lower case,
// without punctuation, spaces made hyphens.
func headingSlug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	fence   = regexp.MustCompile("(?s)```.*?```")
	heading = regexp.MustCompile(`(?m)^#+ (.+)$`)
	link    = regexp.MustCompile(`\]\(([^)\s#]*)#([^)\s]+)\)`)
)

// anchors returns the anchors of the headings of the Markdown file path
// (a repeated heading's second is slug-1, and so on).
func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, seen := map[string]bool{}, map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(string(b), ""), -1) {
		s := headingSlug(m[1])
		if n, ok := seen[s]; ok {
			seen[s] = n + 1
			out[s+"-"+strconv.Itoa(n+1)] = true
			continue
		}
		seen[s] = 0
		out[s] = true
	}
	return out
}

// TestDocAnchors: every link to a heading (file.md#anchor, #anchor) in the
// README and docs/ leads to a heading that exists. performance.md and
// security.md, logs appended to by many, are checked as targets only.
func TestDocAnchors(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	cache := map[string]map[string]bool{}
	for _, src := range append(docs, "../../README.md") {
		if base := filepath.Base(src); base == "performance.md" || base == "security.md" {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target := src
				if m[1] != "" {
					target = filepath.Join(filepath.Dir(src), m[1])
				}
				if !strings.HasSuffix(target, ".md") {
					continue
				}
				if cache[target] == nil {
					cache[target] = anchors(t, target)
				}
				if !cache[target][m[2]] {
					t.Errorf("%s:%d: no heading has the anchor %s#%s", strings.TrimPrefix(src, "../../"), i+1, m[1], m[2])
				}
			}
		}
	}
}
