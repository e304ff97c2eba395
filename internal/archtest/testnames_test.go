package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// testName is a test, fuzz target or benchmark as the docs name one: the
// function's name, then a subtest's path or a wildcard that is not checked.
var testName = regexp.MustCompile(`\b((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)(\*?)`)

// testFunc is the declaration of such a function in a _test.go file.
var testFunc = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)\(`)

// notOurs are the names the docs mention that are not the module's tests,
// each with where it comes from.
var notOurs = map[string]string{
	"FuzzName":                 "docs/security.md: the placeholder of a fuzz target's corpus path",
	"TestMakeSecretConnection": "docs/performance.md: CometBFT's own test, which a patch broke",
}

// TestDocsNameRealTests fails on a test, fuzz target or benchmark that
// README.md or a document under docs/ names as the proof of something and
// that the module does not have: a renamed or removed test leaves the claim
// it backed unproven.
func TestDocsNameRealTests(t *testing.T) {
	have := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllSubmatch(b, -1) {
			have[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !have["TestDocsNameRealTests"] {
		t.Fatal("the walk found no test functions: is the module root ../..?")
	}
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "../../README.md")
	var missing []string
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range testName.FindAllStringSubmatch(line, -1) {
				name, wildcard := m[1], m[2] != ""
				if wildcard || have[name] || notOurs[name] != "" {
					continue
				}
				missing = append(missing, filepath.Base(doc)+":"+strconv.Itoa(i+1)+": "+name)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s: no such test, fuzz target or benchmark in the module", m)
	}
}
